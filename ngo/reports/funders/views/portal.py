"""/funder: the read-only portal of a funder's contacts. Their funder's grants, the appeals the
grants support (only what the appeals publish, checked for the funder reports audience, as the
reports are) and the reports sent to the funder. Nothing of another funder, never a case."""

from __future__ import annotations

from datetime import date

from flask import abort, render_template
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ngo.accounts.access import acting_membership, staff_required
from ngo.accounts.policy import Action
from ngo.extensions import db
from ngo.money import Money, format_money
from ngo.reports.funders import services
from ngo.reports.funders.document import STATUS_LABELS
from ngo.reports.funders.models import Funder, PortfolioDelivery
from ngo.reports.funders.periods import Period
from ngo.reports.funders.portfolio import build_snapshot, grants_of
from ngo.reports.funders.views import portal_bp
from ngo.timeutil import utcnow


def _acting_funder() -> Funder | None:
    return services.funder_of_user(current_user.id, acting_membership().organisation_id)


@portal_bp.get("")
@staff_required(Action.VIEW_FUNDER_PORTAL)
def home() -> str:
    funder = _acting_funder()
    if funder is None:
        return render_template("reports/funders/portal_unlinked.html")
    grants = grants_of(funder.id)
    today = utcnow().date()
    started = [g.starts_on for g in grants if g.starts_on <= today]
    # "Since the grants began": the figures of the period from the first grant's start.
    since = min(started) if started else today
    figures = build_snapshot(funder, Period(since, today), language=str(get_locale()))
    reports = db.session.scalars(
        select(PortfolioDelivery)
        .where(
            PortfolioDelivery.funder_id == funder.id,
            PortfolioDelivery.rendered_at.is_not(None),
        )
        .order_by(PortfolioDelivery.period_start.desc(), PortfolioDelivery.id.desc())
    ).all()
    return render_template(
        "reports/funders/portal.html",
        funder=funder,
        grants=grants,
        figures=figures,
        since=since,
        reports=reports,
        money=lambda minor, currency: format_money(Money(int(minor), str(currency))),
        day=lambda iso: date.fromisoformat(str(iso)[:10]),
        status_labels=STATUS_LABELS,
    )


def load_own_delivery(delivery_id: int) -> PortfolioDelivery:
    """A report sent to the acting contact's funder; any other is a 404."""
    funder = _acting_funder()
    if funder is None:
        abort(404)
    delivery = db.session.scalar(
        select(PortfolioDelivery).where(
            PortfolioDelivery.id == delivery_id,
            PortfolioDelivery.funder_id == funder.id,
            PortfolioDelivery.organisation_id == funder.organisation_id,
            PortfolioDelivery.rendered_at.is_not(None),
        )
    )
    if delivery is None:
        abort(404)
    return delivery


@portal_bp.get("/reports/<int:delivery_id>.pdf")
@staff_required(Action.VIEW_FUNDER_PORTAL)
def download_report(delivery_id: int) -> Response:
    delivery = load_own_delivery(delivery_id)
    report = delivery.report
    if report is None or report.pdf is None:
        abort(404)
    response = Response(report.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="portfolio-report-{delivery.period_key}.pdf"'
    )
    # The file as signed: its SHA-256 is the one the archive recorded, for a funder to compare.
    response.headers["X-Content-SHA256"] = report.sha256 or ""
    response.headers["Cache-Control"] = "private, no-store"
    return response
