"""The publication safety check over a report's texts, with the consents of its audience.

A report for the public is checked with what the person agreed to show on the public page; a
report to funders with what they agreed to show funders (the consent model's audiences). The
texts are checked as written (each part apart, so a refusal can say where) and once more as
the whole rendered document reads, so that nothing the template put together escapes it.

A refusal names the parts and the kinds of values found, never a value: it is stored on the
report and shown on the staff page."""

from __future__ import annotations

from collections.abc import Mapping
from html.parser import HTMLParser

from flask_babel import lazy_gettext as _l

from ngo.campaigns import safety
from ngo.campaigns.models import Appeal
from ngo.cases.consent import consented_items
from ngo.cases.models import Beneficiary, ConsentAudience
from ngo.extensions import db
from ngo.rules import RuleError

_PART_LABELS = {
    "title": _l("title"),
    "summary": _l("summary"),
    "display_name": _l("public name"),
    "organisation": _l("organisation's name"),
    "budget": _l("budget lines"),
    "disbursement": _l("disbursements"),
    "update": _l("updates"),
    "document": _l("rendered report"),
}


class ReportSafetyError(RuleError):
    """Private information about the person was found in a report's text."""


def private_values(appeal: Appeal, audience: ConsentAudience) -> list[safety.PrivateValue]:
    beneficiary = db.session.get(Beneficiary, appeal.beneficiary_id)
    if beneficiary is None or beneficiary.erased_at is not None:
        raise ReportSafetyError(_l("The person's data was erased: no report can be made."))
    consented = consented_items(beneficiary.id, audience)
    return safety.private_values_of(beneficiary, consented)


def refuse_private_values(
    private: list[safety.PrivateValue], texts: Mapping[str, str], document_html: str = ""
) -> None:
    """ReportSafetyError if a private value is in any of `texts` or in the rendered HTML."""
    checked = dict(texts)
    if document_html:
        checked["document"] = visible_text(document_html)
    findings = safety.scan_texts(checked, private)
    if not findings:
        return
    parts = ", ".join(
        dict.fromkeys(str(_PART_LABELS.get(f.field.split(":")[0], f.field)) for f in findings)
    )
    kinds = ", ".join(dict.fromkeys(safety.describe(f.kind) for f in findings))
    raise ReportSafetyError(
        _l(
            "Private information about the person was found in the report's %(parts)s "
            "(%(kinds)s). Correct the public text and generate the report again.",
            parts=parts,
            kinds=kinds,
        )
    )


class _VisibleText(HTMLParser):
    """The text a reader of the PDF sees: every text node (the charts' labels too), without
    style sheets and scripts."""

    _HIDDEN = frozenset({"style", "script"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in self._HIDDEN
        self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in self._HIDDEN and self._hidden > 0
        self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(document_html: str) -> str:
    parser = _VisibleText()
    parser.feed(document_html)
    parser.close()
    return "".join(parser.parts)
