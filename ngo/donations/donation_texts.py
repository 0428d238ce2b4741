"""The publication safety check over what a donor writes: the public display name they may
choose, and their message (shown to staff only for now, checked all the same before it is
stored, so that nothing unchecked is ever there to be shown).

The check is the one every public text of the appeal passes (ngo/campaigns/safety, used as
campaigns/update_checks.py uses it): the person's private values under their current consents,
and the donor's own e-mail address, which a display name must not carry either. A refusal names
the field, never what was found.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ngo.campaigns import safety
from ngo.campaigns.models import Appeal
from ngo.cases.consent import consented_items
from ngo.cases.models import Beneficiary, ConsentAudience
from ngo.extensions import db
from ngo.rules import RuleError

MESSAGES = {
    "display_name": _l(
        "This name cannot be shown: it contains private details about the person or an "
        "e-mail address. Choose another name, or give anonymously."
    ),
    "message": _l(
        "Your message contains private details about the person (such as a name, place or "
        "contact). Remove them and send the form again."
    ),
}


def check(appeal: Appeal, *, display_name: str, message: str, donor_email: str) -> None:
    """RuleError at the first field where the safety check finds something."""
    texts = {name: text for name, text in (("display_name", display_name), ("message", message))}
    texts = {name: text for name, text in texts.items() if text}
    if "@" in display_name:
        raise RuleError(MESSAGES["display_name"], field="display_name")
    if not texts:
        return
    beneficiary = db.session.get(Beneficiary, appeal.beneficiary_id)
    if beneficiary is None or beneficiary.erased_at is not None:
        # Nothing left to compare with: refuse rather than publish unchecked.
        raise RuleError(MESSAGES["display_name"], field=next(iter(texts)))
    consented = consented_items(beneficiary.id, ConsentAudience.PUBLIC_PAGE)
    extra = [safety.PrivateValue(safety.EMAIL, donor_email.strip())] if donor_email else []
    findings = safety.scan_texts(texts, safety.private_values_of(beneficiary, consented, extra))
    if findings:
        field = "display_name" if any(f.field == "display_name" for f in findings) else "message"
        raise RuleError(MESSAGES[field], field=field)
