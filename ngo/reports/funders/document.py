"""The portfolio report as a document: its frozen snapshot rendered to HTML in the subscription's
language, with the stylesheet the archive renders it with (ngo.reports.archive: PDF/A-3b,
signed)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template
from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l

from ngo.campaigns.labels import CATEGORY_LABELS
from ngo.campaigns.models import AppealStatus, Category
from ngo.money import Money, format_money

STATUS_LABELS = {
    AppealStatus.PUBLISHED.value: _l("raising funds"),
    AppealStatus.FUNDED.value: _l("funded"),
    AppealStatus.CLOSED.value: _l("closed"),
}

STYLESHEET = """
@page { size: A4; margin: 18mm 16mm; @bottom-right { content: counter(page) " / " counter(pages);
  font-size: 8pt; color: #555; } }
body { font-size: 10pt; line-height: 1.4; color: #111; }
h1 { font-size: 17pt; margin: 0 0 4pt; }
h2 { font-size: 13pt; margin: 14pt 0 4pt; border-bottom: 0.5pt solid #999; }
h3 { font-size: 11pt; margin: 10pt 0 3pt; }
h4 { font-size: 10pt; margin: 6pt 0 2pt; }
table { width: 100%; border-collapse: collapse; margin: 4pt 0; }
th, td { text-align: left; padding: 2pt 4pt; border-bottom: 0.3pt solid #ccc; vertical-align: top; }
td.number { text-align: right; white-space: nowrap; }
.muted { color: #555; }
.organisation { font-weight: bold; }
.bar { height: 6pt; background: #ddd; margin: 4pt 0; }
.bar div { height: 6pt; background: #2b6b3f; }
section.appeal { break-inside: avoid-page; }
"""


def render_html(data: dict[str, Any], *, organisation: str) -> str:
    """The report's HTML from its snapshot alone, in the snapshot's language."""
    with force_locale(data["language"]):
        return render_template(
            "reports/funders/portfolio_pdf.html",
            data=data,
            organisation=organisation,
            money=lambda minor, currency: format_money(Money(int(minor), str(currency))),
            day=lambda iso: format_date(date.fromisoformat(str(iso)[:10]), "long"),
            status=lambda value: str(STATUS_LABELS.get(value, value)),
            category=lambda value: str(CATEGORY_LABELS.get(Category(value), value)),
        )
