"""The publication safety check for the texts the donations domain makes public: a
disbursement's description and a donor's display name, read as the public ledger renders them
and searched for the private values of the appeal's person.

A refusal names the part and the kind of value found, never the value; the findings (whose
context repeats it) go to the staff form that refused, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_babel import lazy_gettext as _l

from ngo.campaigns import safety
from ngo.campaigns.models import Appeal
from ngo.cases.consent import consented_items
from ngo.cases.models import Beneficiary, ConsentAudience
from ngo.extensions import db
from ngo.rules import RuleError


class PublicTextError(RuleError):
    """Private information about the person was found in a text meant for the public.
    `findings` carry the context for the form that refused (their repr leaves it out)."""

    def __init__(self, message: object, findings: Sequence[safety.Finding], field: str) -> None:
        super().__init__(message, field=field)
        self.findings = list(findings)


def findings_in(
    appeal: Appeal,
    texts: Mapping[str, str],
    *,
    extra: Sequence[safety.PrivateValue] = (),
) -> list[safety.Finding]:
    """Every private value of the appeal's person (and `extra` values, such as the donor's own
    e-mail address) found in `texts` (field name -> text)."""
    beneficiary = db.session.get(Beneficiary, appeal.beneficiary_id)
    if beneficiary is None or beneficiary.erased_at is not None:
        raise RuleError(_l("The person's data was erased."))
    consented = consented_items(beneficiary.id, ConsentAudience.PUBLIC_PAGE)
    private = safety.private_values_of(beneficiary, consented, list(extra))
    return safety.scan_texts(dict(texts), private)


def refuse_private_values(appeal: Appeal, field: str, text: str, part: object) -> None:
    """PublicTextError naming `part` and the kinds of values found in `text`, if any."""
    findings = findings_in(appeal, {field: text})
    if not findings:
        return
    kinds = ", ".join(dict.fromkeys(safety.describe(f.kind) for f in findings))
    raise PublicTextError(
        _l(
            "Private information about the person was found in the %(part)s (%(kinds)s). "
            "Remove it and save again: this text is shown on the public pages.",
            part=part,
            kinds=kinds,
        ),
        findings,
        field=field,
    )
