"""The treasurer's pages under /staff/donations and the donor-rights pages under /staff/donors."""

from ngo.donations.views import donors, funds, gifts  # noqa: F401  (routes on the blueprints)
from ngo.donations.views.blueprints import bp, donors_bp

__all__ = ["bp", "donors_bp"]
