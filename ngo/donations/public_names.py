"""The name a donor chose to be shown by, checked like every public text before it is stored.

A display name appears on the appeal's public ledger beside the gift. It must not carry the
private values of the person the appeal is for (someone well-meaning writes "for Ivan Petrov's
family"), nor the donor's own e-mail address. The refusal names neither: a treasurer entering
the gift never sees a beneficiary's personal data, so the finding's context stays unshown.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ngo.campaigns import safety
from ngo.campaigns.models import Appeal
from ngo.cases.consent import consented_items
from ngo.cases.models import Beneficiary, ConsentAudience
from ngo.extensions import db
from ngo.rules import RuleError

DISPLAY_NAME_MAX = 80


class DisplayNameError(RuleError):
    pass


def checked_display_name(
    appeal: Appeal, display_name: str | None, *, donor_email: str | None = None
) -> str | None:
    """The display name as it will be shown (spaces collapsed), None if none was given;
    DisplayNameError if it is too long or the safety check finds a private value in it."""
    name = " ".join((display_name or "").split())
    if not name:
        return None
    if len(name) > DISPLAY_NAME_MAX:
        raise DisplayNameError(
            _l("Use at most %(max)d characters for the name shown.", max=DISPLAY_NAME_MAX),
            field="display_name",
        )
    if not name.isprintable():
        raise DisplayNameError(_l("The name shown holds characters that cannot be shown."))
    private: list[safety.PrivateValue] = []
    beneficiary = db.session.get(Beneficiary, appeal.beneficiary_id)
    if beneficiary is not None and beneficiary.erased_at is None:
        consented = consented_items(beneficiary.id, ConsentAudience.PUBLIC_PAGE)
        private = safety.private_values_of(beneficiary, consented)
    if donor_email:
        private.append(safety.PrivateValue(safety.EMAIL, donor_email.strip()))
    if safety.scan_texts({"display_name": name}, private):
        raise DisplayNameError(
            _l(
                "The name shown would make private information public (about the person "
                "the appeal is for, or the donor's e-mail address). Choose another name, or "
                "leave it empty to show the gift as anonymous."
            ),
            field="display_name",
        )
    return name
