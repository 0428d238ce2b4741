"""The accountability report of one appeal: asked for by staff, rendered by the worker.

What the report holds is collected by `appeal_data` (aggregates only, public text only), checked
with the publication safety check for the report's audience (the public, for a report that may
be downloaded from the appeal's page), drawn into HTML with its charts, rendered as PDF/A-3b,
signed and archived (`archive`). The staff page follows its progress (`runner`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import render_template
from flask_babel import force_locale, format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from ngo.accounts.models import Organisation, User
from ngo.campaigns.models import Appeal
from ngo.campaigns.visibility import is_listed
from ngo.cases.forms_stories import CHECK_LABELS
from ngo.cases.models import ConsentAudience
from ngo.config import LANGUAGES
from ngo.donations.forms import METHOD_LABELS
from ngo.donations.models import Frequency
from ngo.extensions import db
from ngo.markdown import render_markdown
from ngo.money import Money, format_money
from ngo.reports import appeal_data, archive, charts, report_safety, runner
from ngo.reports.models import Report, ReportKind, ReportStatus
from ngo.reports.runner import Progress
from ngo.reports.signing import signing_key_for
from ngo.urls import external_url

# Shown on the staff page: the newest few; older ones stay in the archive.
RECENT = 5


def request_appeal_report(
    appeal: Appeal,
    *,
    actor: User,
    language: str,
    audience: ConsentAudience = ConsentAudience.PUBLIC_PAGE,
) -> Report:
    """A queued report of `appeal` in `language`, for `audience`; the worker renders it."""
    report = Report(
        organisation_id=appeal.organisation_id,
        kind=ReportKind.APPEAL,
        audience=audience.value,
        appeal_id=appeal.id,
        data={"language": language if language in LANGUAGES else appeal.fallback_language},
    )
    return runner.queue_report(report, actor=actor)


def recent_reports(appeal: Appeal, limit: int = RECENT) -> list[Report]:
    return list(
        db.session.scalars(
            select(Report)
            .where(Report.appeal_id == appeal.id, Report.kind == ReportKind.APPEAL)
            .order_by(Report.id.desc())
            .limit(limit)
        )
    )


def render_appeal_report(report: Report, progress: Progress) -> None:
    """The renderer of ReportKind.APPEAL (registered with the runner)."""
    appeal = db.session.get_one(Appeal, report.appeal_id)
    language = str((report.data or {}).get("language") or appeal.fallback_language)
    audience = ConsentAudience(report.audience)
    with force_locale(language):
        private = report_safety.private_values(appeal, audience)
        data = appeal_data.collect(appeal, language)
        data["links"] = _links(appeal, audience)
        data["signer"] = _signer(appeal)
        progress(30)
        report_safety.refuse_private_values(private, appeal_data.public_texts(data))
        html = report_html(data)
        report_safety.refuse_private_values(private, {}, html)
        progress(45)
        pdf = archive.render_archival_pdf(html, render_template("reports/appeal_report.css"))
        progress(85)
        archive.store_report(report, pdf, data)


def _links(appeal: Appeal, audience: ConsentAudience) -> dict[str, str]:
    """Where a reader checks the report against the public record (public reports only)."""
    if audience != ConsentAudience.PUBLIC_PAGE or not is_listed(appeal):
        return {}
    return {
        "appeal": external_url("public_appeals.appeal", slug=appeal.slug),
        "ledger": external_url("public_ledger.ledger", slug=appeal.slug),
    }


def _signer(appeal: Appeal) -> dict[str, str]:
    """The certificate the report will be signed with, which a reader compares with the
    organisation's published one."""
    organisation = db.session.get_one(Organisation, appeal.organisation_id)
    key = signing_key_for(organisation)
    return {
        "fingerprint": key.fingerprint,
        "certificate_url": external_url(
            "reports_admin.public_certificate", org_slug=organisation.slug
        ),
    }


def report_html(data: dict[str, Any]) -> str:
    """The report's HTML from its frozen data, in the current locale."""
    currency = data["appeal"]["currency"]
    language = data["language"]
    budget = data["budget"]

    def money(minor: int | None, in_currency: str = currency) -> str:
        return format_money(Money(int(minor or 0), in_currency), language)

    return render_template(
        "reports/appeal_report.html",
        data=data,
        money=money,
        day=lambda iso: format_date(date.fromisoformat(iso[:10]), "long"),
        datetime=lambda iso: format_datetime(datetime.fromisoformat(iso), "long"),
        check_label=lambda code: str(CHECK_LABELS.get(code, code)),
        method_label=lambda code: str(METHOD_LABELS.get(code, code)),
        frequency_labels=[
            (Frequency.ONE_OFF.value, _("One-off")),
            (Frequency.MONTHLY.value, _("Monthly")),
        ],
        markdown=render_markdown,
        budget_svg=charts.budget_chart(budget["lines"], currency, language)
        if budget["lines"]
        else "",
        raised_svg=charts.raised_chart(data["raised_over_time"], budget["goal"], currency, language)
        if data["raised_over_time"]
        else "",
    )


def publicly_downloadable(report: Report, appeal: Appeal) -> bool:
    """A signed public-audience report of an appeal the public site lists."""
    return (
        report.status == ReportStatus.DONE
        and report.audience == ConsentAudience.PUBLIC_PAGE
        and report.appeal_id == appeal.id
        and is_listed(appeal)
    )
