"""The staff pages of appeals, under /staff/appeals and /staff/concerns."""

from ngo.campaigns.views import (  # noqa: F401  (routes on bp)
    staff_details,
    staff_review,
    staff_updates,
)
from ngo.campaigns.views.staff import bp, highlight
from ngo.campaigns.views.staff_concerns import concerns_bp

__all__ = ["bp", "concerns_bp", "highlight"]
