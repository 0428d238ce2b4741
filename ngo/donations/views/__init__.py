"""URLs of the donations domain, by audience; each module holds its own blueprint, registered
by donations.init_app: staff settings, the donor's pages (public) and Stripe's webhook."""
