"""The publication safety check over a donor's message: shown to staff only for now, checked
all the same before it is stored, so that nothing unchecked is ever there to be shown. The
display name has its own rule (donations.display_names). The check is the one every public
text of the appeal passes: the person's private values under their current consents, and the
donor's own e-mail address. A refusal names the field, never what was found."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ngo.campaigns import safety
from ngo.campaigns.models import Appeal
from ngo.donations.public_text import findings_in
from ngo.rules import RuleError

_REFUSED = _l(
    "Your message contains private details about the person (such as a name, place or "
    "contact). Remove them and send the form again."
)


def check_message(appeal: Appeal, message: str, *, donor_email: str) -> None:
    """RuleError at the field "message" if the safety check finds something in it."""
    if not message:
        return
    extra = [safety.PrivateValue(safety.EMAIL, donor_email.strip())] if donor_email else []
    try:
        found = bool(findings_in(appeal, {"message": message}, extra=extra))
    except RuleError:
        found = True  # the person's data was erased: nothing to check against, so refuse
    if found:
        raise RuleError(_REFUSED, field="message")
