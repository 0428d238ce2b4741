"""The worker's side of a portfolio report: make it (snapshot, PDF, archive) and mail it.

Each step is done once however often the worker is asked:
- the report runner (ngo.reports.runner, one outbox kind for every report) renders a report
  that is not done with `render_portfolio_report`, which freezes the snapshot, stores the
  signed report and enqueues one REPORT_EMAIL per recipient in the same commit; a failure is
  shown on the report's staff page, where it can be tried again;
- REPORT_EMAIL sends one recipient their e-mail, in their own language, with the PDF attached;
  the outbox's claim makes a redelivered message send nothing twice.
A recipient whose server refuses the mail for good (an SMTP 5xx) is marked on their contact,
for the admins to see, and the outbox marks the message dead: retrying would only repeat it."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ngo import mail, outbox
from ngo.accounts.models import Organisation, Role
from ngo.extensions import db
from ngo.reports import archive
from ngo.reports.funders.document import STYLESHEET, render_html
from ngo.reports.funders.models import Funder, FunderContact, PortfolioDelivery
from ngo.reports.funders.periods import Period
from ngo.reports.funders.portfolio import build_snapshot
from ngo.reports.models import Report
from ngo.reports.runner import Progress
from ngo.timeutil import utcnow
from ngo.urls import external_url

REPORT_EMAIL = "funders.report_email"


def render_portfolio_report(report: Report, progress: Progress) -> None:
    """The report runner's renderer for portfolio reports (ngo.reports.runner): freeze the
    snapshot, render and store the signed PDF/A, and queue one e-mail per recipient, all in the
    runner's commit. `progress` commits on its own, so it is called before anything is written."""
    delivery = db.session.scalar(
        select(PortfolioDelivery).where(PortfolioDelivery.report_id == report.id)
    )
    if delivery is None:
        raise RuntimeError("a portfolio report without its delivery")
    subscription = delivery.subscription
    funder = db.session.get_one(Funder, delivery.funder_id)
    organisation = db.session.get_one(Organisation, delivery.organisation_id)
    data = build_snapshot(
        funder, Period(delivery.period_start, delivery.period_end), language=subscription.language
    )
    progress(30)
    html = render_html(data, organisation=organisation.name)
    pdf = archive.render_archival_pdf(html, STYLESHEET)
    progress(70)
    archive.store_report(report, pdf, data)
    delivery.rendered_at = utcnow()
    if delivery.scheduled_start is not None:
        subscription.last_period_sent = delivery.period_key
        subscription.last_sent_at = delivery.rendered_at
    for contact in subscription.recipients:
        if contact.user_id is not None:
            outbox.enqueue(
                REPORT_EMAIL,
                {"delivery_id": delivery.id, "contact_id": contact.id},
                organisation_id=delivery.organisation_id,
            )


def record_refusal(payload: dict[str, Any], failure: outbox.PermanentError) -> None:
    """The recipient's server refused the report for good (a 5xx; ngo.mail): noted on the
    funder's contact, where the admins see it, in the commit that marks the message dead. Only
    the failure's safe message ("SMTP 550"), never the address or the server's text."""
    contact = db.session.get(FunderContact, payload["contact_id"])
    if contact is not None:
        contact.mail_failed_at = utcnow()
        contact.mail_failure = failure.safe_message[:120]


def send_report_email(payload: dict[str, Any]) -> None:
    delivery = db.session.get(PortfolioDelivery, payload["delivery_id"])
    contact = db.session.get(FunderContact, payload["contact_id"])
    if delivery is None or contact is None or contact.user is None:
        return  # the contact was removed meanwhile: nobody to send to
    if contact not in delivery.subscription.recipients:
        return
    user = contact.user
    if not any(
        m.organisation_id == delivery.organisation_id
        and m.role == Role.FUNDER.value
        and not m.is_suspended
        for m in user.memberships
    ):
        return  # no longer signs in for the funder (membership removed or suspended)
    organisation = db.session.get_one(Organisation, delivery.organisation_id)
    funder = db.session.get_one(Funder, delivery.funder_id)
    if delivery.report is None or delivery.report.pdf is None:
        raise RuntimeError("a report e-mail before its report was stored")
    pdf = delivery.report.pdf
    with force_locale(user.locale or "en"):
        context = {
            "organisation": organisation.name,
            "funder": funder.name,
            "delivery": delivery,
            "portal": external_url("funder_portal.home"),
        }
        message = mail.compose(
            user.email,
            _(
                "%(organisation)s: report %(period)s for %(funder)s",
                organisation=organisation.name,
                period=delivery.period_key,
                funder=funder.name,
            ),
            render_template("reports/funders/email/report.txt", **context),
            render_template("reports/funders/email/report.html", **context),
            language=user.locale or "en",
            attachments=[
                mail.Attachment(
                    f"portfolio-report-{delivery.period_key}.pdf", "application/pdf", pdf
                )
            ],
        )
    # A permanent refusal goes on to the outbox, which marks the message dead and calls
    # record_refusal; a temporary one is retried with backoff.
    mail.deliver(message)
    contact.mail_failed_at = None
    contact.mail_failure = None
    delivery.mailed_at = delivery.mailed_at or utcnow()


HANDLERS: dict[str, outbox.Handler] = {REPORT_EMAIL: send_report_email}
ON_PERMANENT_FAILURE: dict[str, outbox.PermanentErrorHandler] = {REPORT_EMAIL: record_refusal}
