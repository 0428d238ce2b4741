"""The portfolio report itself: what the PDF says (read back with pypdf), that it holds no
private value of the person or of a donor, that it is signed and archived, and the e-mail that
carries it, received by a real SMTP server in each recipient's language."""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from ngo.accounts.models import Organisation
from ngo.cases.models import Beneficiary, ConsentAudience, ConsentItem
from ngo.donations import disbursements
from ngo.donations.disbursements import NewDisbursement, Proof
from ngo.extensions import db
from ngo.reports.funders import schedule
from ngo.reports.funders.models import FunderContact, PortfolioDelivery
from ngo.reports.signing import check_signature, signing_key_for
from tests import factories
from tests.conftest import login, mail_text, sent_mail
from tests.smtp_server import free_port, smtp_server


@pytest.fixture
def appeal_with_a_month(appeal, give, staff, organisation):
    """Gifts from a named donor, a payment with a private payee note, an update anyone may read
    and one naming the person's city, which they allowed on the public page but not in reports
    to funders."""
    rent = appeal.budget_lines[0]
    give(150_000, line=rent)
    give(25_000)
    disbursements.record_disbursement(
        appeal,
        NewDisbursement(
            budget_line_id=rent.id,
            amount_minor=40_000,
            paid_on=date.today(),
            payee_kind="supplier",
            payee_note="Landlord: Jan Nowak, ul. Lipowa 5",
            public_description="Rent for December",
            proof=Proof(factories.sample_pdf(), "invoice.pdf"),
        ),
        actor=staff["treasurer"],
    )
    person = db.session.get(Beneficiary, appeal.beneficiary_id)
    factories.ConsentFactory(
        beneficiary=person,
        actor=staff["caseworker"],
        items=[ConsentItem.CITY],
        audiences=[ConsentAudience.PUBLIC_PAGE],
    )
    factories.AppealUpdateFactory(
        appeal=appeal,
        actor=staff["caseworker"],
        title="The family has a flat",
        body_markdown="The lease is signed and the children started school.",
        approved_by=staff["admin"],
    )
    factories.AppealUpdateFactory(
        appeal=appeal,
        actor=staff["caseworker"],
        title="Settled in Białystok",
        body_markdown="A quiet street near the park.",
        approved_by=staff["admin"],
    )
    return appeal


def _send_now(subscription, staff) -> PortfolioDelivery:
    delivery = schedule.send_now(subscription, actor=staff["admin"])
    db.session.commit()  # the worker (eager here) makes the report and mails it
    db.session.expire_all()
    return db.session.get_one(PortfolioDelivery, delivery.id)


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_the_report_shows_the_portfolio_and_no_private_value(
    appeal_with_a_month, subscription, staff, organisation
):
    delivery = _send_now(subscription, staff)
    report = delivery.report
    assert report is not None and report.status == "done"
    assert (report.kind, report.audience) == ("portfolio", "funder_reports")
    assert report.data["funder"] == "Open Society Fund"
    text = _text(report.pdf)

    for expected in (
        "Portfolio report for Open Society Fund",
        "Relocation grant 2026",
        "€10,000.00",  # the grant
        appeal_with_a_month.translations[0].title,
        "€1,750.00 raised of €4,400.00 (39%)",
        "€400.00 spent",
        "In the period: 2 gifts, €1,750.00.",
        "Rent for three months and deposit",
        "Rent for December",
        "The family has a flat",
        "The lease is signed",
        "1 text was left out because it could identify the person",
    ):
        assert expected in text, expected
    for private in (
        "Białystok",  # consented for the public page only, not for funders
        "Кавалёў",
        "Аляксандр",
        "Kavaliou",
        "Kowalska",  # the donors' name
        "Nowak",  # the payee note
        "Lipowa",
        "Jana Nováková",  # the funder's own contact person, staff only
    ):
        assert private not in text, private

    key = signing_key_for(db.session.get_one(Organisation, organisation.id))
    check = check_signature(report.pdf, trust_roots=[key.certificate])
    assert check.intact and check.valid and check.covers_whole_file


def test_the_report_is_in_the_subscriptions_language(appeal, subscription, staff):
    subscription.language = "pl"
    delivery = _send_now(subscription, staff)
    text = _text(delivery.report.pdf)
    assert "listopada 2026" in text or "grudnia 2026" in text  # dates in Polish
    assert "10 000,00 €" in text.replace("\u202f", " ").replace("\xa0", " ")


def test_a_frozen_report_does_not_change_with_the_appeal(appeal, give, subscription, staff):
    delivery = _send_now(subscription, staff)
    frozen = dict(delivery.report.data)
    give(99_00)
    db.session.expire_all()
    again = db.session.get_one(PortfolioDelivery, delivery.id)
    assert again.report.data == frozen
    assert frozen["appeals"][0]["raised"] == 0


def test_the_email_reaches_a_real_smtp_server_with_the_pdf_in_the_recipients_language(
    app, appeal, subscription, staff, contact_user
):
    contact_user.locale = "pl"
    with smtp_server() as (inbox, port):
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        delivery = _send_now(subscription, staff)
        message = inbox.wait_for(contact_user.email, timeout=30)
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"portfolio-report-{delivery.period_key}.pdf"
    assert attachment.get_payload(decode=True) == delivery.report.pdf
    assert message["Message-ID"] and message["Date"]
    body = mail_text(message)
    assert "http://ngo.test/funder" in body
    # The dates in the text are formatted in Polish, the recipient's language.
    assert any(month in body for month in ("grudnia", "grudzień", "gru"))
    assert delivery.mailed_at is not None


class _RefusesEveryRecipient:
    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        return self.reply


def _email_rows():
    from ngo.outbox import OutboxMessage

    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "funders.report_email")
    ).all()


def test_a_temporary_refusal_is_retried_and_not_recorded(
    app, appeal, subscription, staff, contact_user
):
    port = free_port()
    controller = Controller(
        _RefusesEveryRecipient("451 4.3.0 try again later"), hostname="127.0.0.1", port=port
    )
    controller.start()
    try:
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        delivery = _send_now(subscription, staff)
    finally:
        controller.stop()
    assert db.session.scalars(select(FunderContact)).one().mail_failed_at is None
    assert delivery.mailed_at is None
    (email_row,) = _email_rows()
    assert email_row.sent_at is None  # left for the outbox to try again
    assert email_row.last_error


def test_a_permanent_refusal_is_recorded_on_the_contact_and_not_retried(
    app, client, appeal, subscription, staff, contact_user, funder
):
    port = free_port()
    controller = Controller(
        _RefusesEveryRecipient("550 5.1.1 mailbox unavailable"), hostname="127.0.0.1", port=port
    )
    controller.start()
    try:
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        delivery = _send_now(subscription, staff)
    finally:
        controller.stop()
    contact = db.session.scalars(select(FunderContact)).one()
    assert contact.mail_failed_at is not None
    assert contact.mail_failure.startswith("SMTP 550")
    assert delivery.mailed_at is None
    (email_row,) = _email_rows()
    assert email_row.dead_at is not None  # a refusal is not tried again
    login(client, staff["admin"])
    page = client.get(f"/admin/funders/{funder.id}").get_data(as_text=True)
    assert "Mail to Funder Contact was refused" in page and "SMTP 550" in page
    assert "funder@" not in contact.mail_failure and "5.1.1" not in contact.mail_failure


def test_a_contact_whose_membership_was_suspended_gets_no_report(
    app, appeal, subscription, staff, contact_user
):
    from ngo.accounts import services as accounts

    accounts.suspend_membership(contact_user.memberships[0], actor=staff["admin"])
    _send_now(subscription, staff)
    assert contact_user.email not in [m["To"] for m in sent_mail(app)]


def test_a_failed_render_is_shown_to_the_admin_and_can_be_tried_again(
    app, client, appeal, subscription, staff, funder, contact_user, monkeypatch
):
    from ngo.reports import archive

    real_render = archive.render_archival_pdf

    def broken(html, stylesheet=""):
        raise ValueError("the renderer broke")

    monkeypatch.setattr(archive, "render_archival_pdf", broken)
    delivery = _send_now(subscription, staff)
    assert delivery.report.status == "failed"
    assert contact_user.email not in [m["To"] for m in sent_mail(app)]
    login(client, staff["admin"])
    page = client.get(f"/admin/funders/{funder.id}").get_data(as_text=True)
    assert "failed: open it to see why and try again" in page
    assert f"/staff/reports/{delivery.report_id}" in page

    monkeypatch.setattr(archive, "render_archival_pdf", real_render)
    assert client.post(f"/staff/reports/{delivery.report_id}/retry").status_code == 303
    db.session.expire_all()
    again = db.session.get_one(PortfolioDelivery, delivery.id)
    assert again.report.status == "done"
    assert [m["To"] for m in sent_mail(app)] == [contact_user.email]


def test_erasing_a_case_erases_the_portfolio_reports_that_hold_its_appeal(
    appeal, subscription, staff
):
    from ngo.cases.rights import erase_case
    from ngo.reports.models import Report

    delivery = _send_now(subscription, staff)
    report_id, digest = delivery.report.id, delivery.report.sha256
    assert delivery.report.pdf is not None

    erase_case(
        db.session.get_one(Beneficiary, appeal.beneficiary_id),
        actor=staff["admin"],
        reason_code="person_asked",
    )
    db.session.commit()
    db.session.expire_all()

    erased = db.session.get_one(Report, report_id)
    assert erased.pdf is None and erased.data is None
    assert erased.sha256 == digest
