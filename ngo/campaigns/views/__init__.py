"""The web pages of appeals, by audience: staff pages under /staff/appeals and
/staff/concerns, and the forms readers send from the public site."""

from ngo.campaigns.views import (  # noqa: F401  (routes on bp)
    staff_details,
    staff_review,
    staff_updates,
)
from ngo.campaigns.views.public_forms import bp as public_forms_bp
from ngo.campaigns.views.staff import bp, highlight
from ngo.campaigns.views.staff_concerns import concerns_bp

__all__ = ["bp", "concerns_bp", "highlight", "public_forms_bp"]
