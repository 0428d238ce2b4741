"""The publication safety check over a donor's message: shown to the organisation's staff
only (the treasurer's gift page, never a public page), checked all the same before it is
stored, so that nothing unchecked is ever there to be shown, and again when it is shown. The
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


def passes_check(appeal: Appeal, message: str, *, donor_email: str) -> bool:
    """Whether the safety check finds nothing in the message, against the person's private
    values as they are now (a treasurer's page asks again: they may have changed since)."""
    if not message:
        return True
    extra = [safety.PrivateValue(safety.EMAIL, donor_email.strip())] if donor_email else []
    try:
        return not findings_in(appeal, {"message": message}, extra=extra)
    except RuleError:
        return False  # the person's data was erased: nothing to check against, so refuse


def check_message(appeal: Appeal, message: str, *, donor_email: str) -> None:
    """RuleError at the field "message" if the safety check finds something in it."""
    if not passes_check(appeal, message, donor_email=donor_email):
        raise RuleError(_REFUSED, field="message")
