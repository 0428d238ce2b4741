"""Staff pages of the accountability reports: start one from the appeal's page, follow its
progress (a page that refreshes by a link, or by polling the JSON status with the vendored
script), download the signed PDF, retry a failure. And the public download of a signed public
report of a listed appeal.

Every staff URL loads the report within the acting organisation: another organisation's
report is a 404, as if it did not exist."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo.accounts.access import current_membership, load_in_organisation, staff_required
from ngo.accounts.forms import ConfirmForm
from ngo.accounts.policy import Action, may
from ngo.campaigns.models import Appeal
from ngo.extensions import db
from ngo.reports import appeal_reports, runner
from ngo.reports.models import Report, ReportStatus
from ngo.unit_of_work import attempt

bp = Blueprint("reports", __name__)


def status_labels() -> dict[str, str]:
    return {
        ReportStatus.QUEUED.value: _("Waiting for the worker"),
        ReportStatus.RENDERING.value: _("Being prepared"),
        ReportStatus.DONE.value: _("Ready, signed"),
        ReportStatus.FAILED.value: _("Failed"),
    }


def appeal_panel(appeal: Appeal) -> Markup:
    """The Accountability report section of the staff appeal page."""
    if not may(current_membership(), Action.GENERATE_REPORT, appeal):
        return Markup("")
    return Markup(  # noqa: S704  (a template rendered with autoescaping)
        render_template(
            "reports/_appeal_panel.html",
            appeal=appeal,
            reports=appeal_reports.recent_reports(appeal),
            status_labels=status_labels(),
            confirm_form=ConfirmForm(),
        )
    )


@bp.post("/staff/appeals/<slug>/reports")
@staff_required(Action.GENERATE_REPORT)
def start_appeal_report(slug: str) -> Response:
    appeal = load_in_organisation(Appeal, slug, Action.GENERATE_REPORT)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    report = appeal_reports.request_appeal_report(
        appeal, actor=current_user, language=str(get_locale())
    )
    return redirect(url_for("reports.report_page", report_id=report.id), code=303)


def _staff_report(report_id: int) -> Report:
    return load_in_organisation(Report, report_id, Action.GENERATE_REPORT)


@bp.get("/staff/reports/<int:report_id>")
@staff_required(Action.GENERATE_REPORT)
def report_page(report_id: int) -> str:
    report = _staff_report(report_id)
    appeal = db.session.get(Appeal, report.appeal_id) if report.appeal_id else None
    return render_template(
        "reports/report.html",
        report=report,
        appeal=appeal,
        status_labels=status_labels(),
        confirm_form=ConfirmForm(),
        public_url=_public_url(report, appeal),
    )


def _public_url(report: Report, appeal: Appeal | None) -> str | None:
    if appeal is None or not appeal_reports.publicly_downloadable(report, appeal):
        return None
    return url_for("reports.public_report", slug=appeal.slug, report_id=report.id)


@bp.get("/staff/reports/<int:report_id>/status")
@staff_required(Action.GENERATE_REPORT)
def report_status(report_id: int) -> Response:
    """What the progress script polls: small, never cached, no personal value."""
    report = _staff_report(report_id)
    body = {
        "status": report.status,
        "label": status_labels()[report.status],
        "progress": report.progress,
        "finished": report.is_finished,
        "error": report.error if report.status == ReportStatus.FAILED else None,
        "sha256": report.sha256 if report.status == ReportStatus.DONE else None,
        "download_url": url_for("reports.download", report_id=report.id)
        if report.status == ReportStatus.DONE
        else None,
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/staff/reports/<int:report_id>/report.pdf")
@staff_required(Action.GENERATE_REPORT)
def download(report_id: int) -> Response:
    report = _staff_report(report_id)
    if report.status != ReportStatus.DONE or report.pdf is None:
        abort(404)
    return _pdf_response(report)


@bp.post("/staff/reports/<int:report_id>/retry")
@staff_required(Action.GENERATE_REPORT)
def retry(report_id: int) -> Response | tuple[str, int]:
    report = _staff_report(report_id)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    result = attempt(None, lambda: runner.retry_report(report, actor=current_user))
    if not result:
        return render_template(
            "reports/report.html",
            report=report,
            appeal=db.session.get(Appeal, report.appeal_id) if report.appeal_id else None,
            status_labels=status_labels(),
            confirm_form=ConfirmForm(),
            public_url=None,
            action_error=result.message,
        ), 409
    return redirect(url_for("reports.report_page", report_id=report.id), code=303)


@bp.get("/appeals/<slug>/accountability-report/<int:report_id>.pdf")
def public_report(slug: str, report_id: int) -> Response:
    """A signed public report of a listed appeal: the same file staff download."""
    if len(slug) > 24:
        abort(404)
    appeal = db.session.scalar(select(Appeal).where(Appeal.slug == slug))
    report = db.session.get(Report, report_id)
    if (
        appeal is None
        or report is None
        or report.pdf is None
        or not appeal_reports.publicly_downloadable(report, appeal)
    ):
        abort(404)
    return _pdf_response(report)


def _pdf_response(report: Report) -> Response:
    assert report.pdf is not None and report.sha256 is not None
    response = Response(report.pdf, mimetype="application/pdf")
    name = f"accountability-report-{report.id}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    # The file is signed and never changes: its SHA-256 is a strong validator.
    response.set_etag(report.sha256)
    response.headers["X-Content-SHA256"] = report.sha256
    response.headers["Cache-Control"] = "private, no-cache"
    return response
