"""URLs of the donations domain, by audience; each module holds its own blueprint, registered
by donations.init_app."""
