"""The donations domain's views: the donor's pages (public) and Stripe's webhook."""
