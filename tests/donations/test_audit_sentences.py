"""The audit log names each kind of record it holds events about, in words (ngo/audit_reading.py,
each domain's audit_names): "a €50 gift to Alexander's appeal", "receipt 2026-0003", "the
report for …", never "donation 12"; and never a donor's name, e-mail or message, a payer on a
bank statement, or an invitee's address. The same sentences are the case's History tab."""

from __future__ import annotations

import re
from datetime import date, timedelta

from babel.dates import format_date

from ngo import audit
from ngo.accounts import invitations
from ngo.accounts.models import Organisation, Role
from ngo.cases.models import Beneficiary
from ngo.cases.services import record_personal_data_view
from ngo.donations import rates
from ngo.donations.bank_accounts import BankAccountDetails, add_bank_account
from ngo.donations.manual import GiftEntry, approve_manual_gift, record_manual_gift
from ngo.donations.models import StatementImport, StatementLine
from ngo.donations.reconciliation import mark_unrelated
from ngo.extensions import db
from ngo.money import Money
from ngo.reports.funders.services import (
    FunderDetails,
    GrantDetails,
    create_funder,
    create_grant,
)
from ngo.reports.models import Report, ReportKind
from ngo.reports.runner import queue_report
from tests import factories
from tests.conftest import login

DONOR_NAME, DONOR_EMAIL = "Marta Nowak", "marta.nowak@example.org"


def _log(client, staff, path: str = "/admin/audit") -> str:
    login(client, staff["admin"])
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&amp;", "&")


def _no_stored_names(page: str) -> None:
    """No sentence falls back to the stored type and id ("donation 12")."""
    kinds = "donation|disbursement|receipt|report|funder|grant|invitation|bank account|donor"
    assert not re.search(rf"\b({kinds}|statement line|exchange rate) \d+(?![\d-])", page)


def test_gifts_read_by_their_amount_and_appeal_never_by_their_donor(client, staff, appeal):
    treasurer, other = (
        staff["treasurer"],
        factories.UserFactory(
            role="treasurer", organisation=db.session.get(Organisation, appeal.organisation_id)
        ),
    )
    entry = GiftEntry(
        Money(100_000, "EUR"),
        "cash",
        date.today(),
        donor_name=DONOR_NAME,
        donor_email=DONOR_EMAIL,
        note="Given by Marta after the meeting",
    )
    donation = record_manual_gift(appeal, entry, actor=treasurer)
    approve_manual_gift(donation, actor=other)
    audit.record_change(donation.donor, treasurer, "donor.looked_up")
    db.session.commit()
    page = _log(client, staff)
    assert f"{treasurer.display_name} recorded a €1,000 gift to Alexander's appeal" in page
    assert f"{other.display_name} approved a €1,000 gift to Alexander's appeal" in page
    assert f"{treasurer.display_name} looked up a donor" in page
    assert "Marta" not in page and DONOR_EMAIL not in page
    _no_stored_names(page)


def test_payments_accounts_statements_and_rates_read_in_words(client, staff, appeal, give):
    organisation = db.session.get(Organisation, appeal.organisation_id)
    account = add_bank_account(
        organisation,
        currency="EUR",
        iban="DE89 3704 0044 0532 0130 00",
        details=BankAccountDetails(account_holder="Fundacja", bic="COBADEFFXXX"),
        actor=staff["admin"],
    )
    statement = StatementImport(
        organisation_id=organisation.id, format="csv", file_digest="0" * 64, line_count=1
    )
    db.session.add(statement)
    db.session.flush()
    line = StatementLine(
        organisation_id=organisation.id,
        import_id=statement.id,
        identity="line-1",
        booking_date=date(2026, 11, 3),
        amount_minor=4_250,
        currency="EUR",
        counterparty_name="Jan Kowalski",
        remittance_text="for the Kowalski family",
        status="queued",
    )
    db.session.add(line)
    db.session.flush()
    audit.record_change(statement, staff["treasurer"], "statement.imported", lines=1)
    mark_unrelated(line, actor=staff["treasurer"])
    rate_day = date.today() - timedelta(days=1)
    rate = rates.enter_rate(organisation, "PLN", "4.25", rate_day, actor=staff["admin"])
    db.session.commit()
    page = _log(client, staff)
    assert "added the EUR account ending 3000" in page
    assert "imported the bank statement imported on" in page
    booked = format_date(date(2026, 11, 3), locale="en")
    assert f"marked the statement line of €42.50 booked on {booked} as not a gift" in page
    assert f"entered the PLN rate of {format_date(rate_day, locale='en')}" in page
    assert "Kowalski" not in page
    assert rate is not None and account is not None
    _no_stored_names(page)


def test_receipts_reports_funders_grants_and_invitations_read_in_words(client, staff, appeal, give):
    organisation = db.session.get(Organisation, appeal.organisation_id)
    donation = give(
        5_000,
        donor=factories.DonorFactory(
            organisation_id=organisation.id, name=DONOR_NAME, email=DONOR_EMAIL
        ),
    )
    receipt = factories.ReceiptFactory(donation=donation, amount_minor=5_000, currency="EUR")
    audit.record_change(receipt, staff["treasurer"], "receipt.downloaded", kind="receipt")
    funder = create_funder(
        organisation, FunderDetails(name="Open Hands Fund"), actor=staff["admin"]
    )
    create_grant(
        funder,
        GrantDetails(
            title="Winter 2026",
            amount=Money(1_000_000, "EUR"),
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
            appeal_ids=[appeal.id],
        ),
        actor=staff["admin"],
    )
    queue_report(
        Report(
            organisation_id=organisation.id,
            kind=ReportKind.APPEAL,
            audience="public",
            appeal_id=appeal.id,
        ),
        actor=staff["caseworker"],
    )
    queue_report(
        Report(
            organisation_id=organisation.id,
            kind=ReportKind.PORTFOLIO,
            audience="funder",
            funder_id=funder.id,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 3, 31),
        ),
        actor=staff["admin"],
    )
    invitations.invite_user(
        organisation,
        email="new.verifier@example.org",
        role=Role.VERIFIER,
        locale="en",
        actor=staff["admin"],
    )
    db.session.commit()
    page = _log(client, staff)
    assert "downloaded receipt 2026-0003" in page
    assert "added the funder Open Hands Fund" in page
    assert "added the grant “Winter 2026” from Open Hands Fund" in page
    assert "asked for the report on Alexander's appeal" in page
    assert "asked for the report for Open Hands Fund, Jan 1, 2026 to Mar 31, 2026" in page
    assert "sent an invitation to join as Verifier" in page
    assert "new.verifier@example.org" not in page
    assert "Marta" not in page and DONOR_EMAIL not in page
    _no_stored_names(page)


def test_a_record_the_lookup_does_not_find_reads_as_its_kind(client, staff, appeal):
    organisation_id = appeal.organisation_id
    for kind in ("donation", "disbursement", "receipt", "report", "grant", "donor"):
        audit.record(
            f"{kind}.rejected" if kind != "donor" else "donor.erased",
            actor_id=staff["treasurer"].id,
            organisation_id=organisation_id,
            object_type=kind,
            object_id=999_999,
        )
    db.session.commit()
    page = _log(client, staff)
    assert f"{staff['treasurer'].display_name} rejected a gift" in page
    assert "rejected a payment" in page
    assert "erased a donor" in page
    assert "999999" not in page
    _no_stored_names(page)


def test_another_organisations_record_is_never_named(client, staff, appeal):
    """A lookup only names records of the reader's organisation, even for an id that an
    event of their log would carry by mistake."""
    elsewhere = factories.OrganisationFactory()
    foreign = factories.DonationFactory(
        appeal=appeal, amount_minor=7_700, organisation_id=elsewhere.id
    )
    db.session.flush()
    audit.record(
        "donation.rejected",
        actor_id=staff["treasurer"].id,
        organisation_id=appeal.organisation_id,
        object_type="donation",
        object_id=foreign.id,
    )
    db.session.commit()
    page = _log(client, staff)
    assert "€77" not in page
    assert f"{staff['treasurer'].display_name} rejected a gift" in page


def test_the_case_history_reads_the_same_sentences(client, staff, appeal):
    case = db.session.get(Beneficiary, appeal.beneficiary_id)
    reference = case.reference
    record_personal_data_view(case, actor=staff["treasurer"], part="disbursement_check")
    db.session.commit()
    history = _log(client, staff, f"/cases/{reference}/history")
    log = _log(client, staff, f"/admin/audit?case={reference}")
    sentence = f"{staff['treasurer'].display_name} checked a payment for Alexander against the case"
    assert sentence in history and sentence in log
    _no_stored_names(history)
