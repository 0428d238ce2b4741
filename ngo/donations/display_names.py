"""The public name a donor may choose for one gift: the one rule for the donate form, the
treasurer's manual gifts and the public ledger.

Anonymous is the default. A chosen name is stored only after it passed the publication safety
check, and shown on the public ledger only if it carries the moment it passed
(`display_name_checked_at`): a donor writing "for the Kavaliou family" would publish the
surname the person keeps private, and a name holding the donor's own e-mail address would make
them findable. The refusal names neither what was found nor where: a treasurer entering a gift
never sees a beneficiary's personal data.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from ngo.campaigns import safety
from ngo.campaigns.models import Appeal
from ngo.donations.models import Donation
from ngo.donations.public_text import findings_in
from ngo.extensions import db
from ngo.rules import RuleError
from ngo.timeutil import utcnow

DISPLAY_NAME_MAX = 80


class DisplayNameError(RuleError):
    pass


_REFUSED = _l(
    "The name shown would make private information public (about the person the appeal is "
    "for, or the donor's e-mail address). Choose another name, or leave it empty to show the "
    "gift as anonymous."
)


def checked_display_name(
    appeal: Appeal, display_name: str | None, *, donor_email: str | None = None
) -> str | None:
    """The display name as it will be shown (spaces collapsed), None if none was given;
    DisplayNameError at the field "display_name" if it is too long, unprintable, or the safety
    check finds a private value of the appeal's person or the donor's e-mail in it."""
    name = " ".join((display_name or "").split())
    if not name:
        return None
    if len(name) > DISPLAY_NAME_MAX:
        raise DisplayNameError(
            _l("Use at most %(max)d characters for the name shown.", max=DISPLAY_NAME_MAX),
            field="display_name",
        )
    if not name.isprintable():
        raise DisplayNameError(
            _l("The name shown holds characters that cannot be shown."), field="display_name"
        )
    if "@" in name:
        raise DisplayNameError(_REFUSED, field="display_name")
    extra = [safety.PrivateValue(safety.EMAIL, donor_email.strip())] if donor_email else []
    try:
        found = bool(findings_in(appeal, {"display_name": name}, extra=extra))
    except RuleError:
        found = True  # the person's data was erased: nothing to check against, so refuse
    if found:
        raise DisplayNameError(_REFUSED, field="display_name")
    return name


def set_display_name(
    donation: Donation, display_name: str | None, *, donor_email: str | None = None
) -> None:
    """Give the gift a checked public name (None or blank: anonymous)."""
    appeal = db.session.get_one(Appeal, donation.appeal_id)
    donation.display_name = checked_display_name(appeal, display_name, donor_email=donor_email)
    donation.display_name_checked_at = utcnow() if donation.display_name else None


def public_donor_name(display_name: str | None, checked_at: datetime | None) -> str | None:
    """The name the public ledger may show for a gift, or None for "Anonymous"."""
    if display_name and checked_at is not None:
        return display_name
    return None
