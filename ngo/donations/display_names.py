"""The public name a donor may choose for one gift. Anonymous is the default; a chosen name is
shown on the public ledger only after it passed the publication safety check (a donor writing
"the Kavaliou family" would publish the surname the person keeps private)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from ngo.campaigns.models import Appeal
from ngo.donations.models import Donation
from ngo.donations.public_text import refuse_private_values
from ngo.extensions import db
from ngo.rules import RuleError
from ngo.timeutil import utcnow

DISPLAY_NAME_MAX = 80


class DisplayNameError(RuleError):
    pass


def set_display_name(donation: Donation, name: str | None) -> None:
    """Give the gift a public name (None or blank: anonymous). Refused with a RuleError at the
    field "display_name" if it is too long or holds a private value of the appeal's person."""
    clean = " ".join((name or "").split())
    if not clean:
        donation.display_name = None
        donation.display_name_checked_at = None
        return
    if len(clean) > DISPLAY_NAME_MAX:
        raise DisplayNameError(
            _l("Use at most %(max)d characters for the name.", max=DISPLAY_NAME_MAX),
            field="display_name",
        )
    appeal = db.session.get(Appeal, donation.appeal_id)
    if appeal is None:
        raise DisplayNameError(_l("This appeal does not exist."))
    refuse_private_values(appeal, "display_name", clean, _l("name to show publicly"))
    donation.display_name = clean
    donation.display_name_checked_at = utcnow()


def public_donor_name(display_name: str | None, checked_at: datetime | None) -> str | None:
    """The name the public ledger may show for a gift, or None for "Anonymous"."""
    if display_name and checked_at is not None:
        return display_name
    return None
