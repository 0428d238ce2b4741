"""Importing statements: credits matched by reference code and amount confirm their pending
bank-transfer gifts through the one confirmation path; everything else waits in the queue; a
statement imported twice changes nothing; debits are only counted; a malformed file or a
refusal leaves nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from ngo.audit import AuditEvent
from ngo.donations import ledger
from ngo.donations.bank_accounts import BankAccountDetails, add_bank_account
from ngo.donations.models import (
    Donation,
    DonationStatus,
    LineStatus,
    QueueReason,
    StatementImport,
    StatementLine,
    StatementMapping,
)
from ngo.donations.statement_import import StatementImportError, import_statement
from ngo.donations.statements import StatementFormatError
from ngo.extensions import db
from tests import factories
from tests.donations.statements.helpers import FIXTURES, MAPPINGS

SPARKASSE = "camt053_v02_sparkasse.xml"


@pytest.fixture
def account(organisation, staff):
    return add_bank_account(
        organisation,
        currency="EUR",
        iban="DE89 3704 0044 0532 0130 00",
        details=BankAccountDetails(account_holder="Hilfsverein e.V.", bic="COBADEFFXXX"),
        actor=staff["admin"],
    )


def pending(appeal, code, amount=5_000, **kwargs):
    return factories.DonationFactory(
        appeal=appeal, reference_code=code, amount_minor=amount, **kwargs
    )


def run(name, treasurer, **kwargs):
    data = kwargs.pop("data", None) or (FIXTURES / name).read_bytes()
    return import_statement(data, name, actor=treasurer, **kwargs)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_matched_by_code_and_amount_the_rest_queued(appeal, staff, account):
    gift = pending(appeal, "392R-VV4T")  # 50.00 EUR, the first entry
    wrong_amount = pending(appeal, "M8Q3-WQFW", amount=9_000)  # the bank says 100.00
    result = run(SPARKASSE, staff["treasurer"])
    assert (result.matched, result.queued, result.duplicate, result.debits) == (1, 2, 0, 1)
    assert result.summary() == "matched 1, queued 2, duplicate 0"
    db.session.refresh(gift)
    assert gift.status == DonationStatus.CONFIRMED
    assert gift.received_on.isoformat() == "2024-03-05"
    assert db.session.get(Donation, wrong_amount.id).status == DonationStatus.PENDING
    lines = db.session.scalars(select(StatementLine).order_by(StatementLine.id)).all()
    assert [(line.status, line.queue_reason) for line in lines] == [
        (LineStatus.MATCHED, None),
        (LineStatus.QUEUED, QueueReason.AMOUNT_DIFFERS),
        (LineStatus.QUEUED, QueueReason.NO_REFERENCE),
    ]
    assert lines[0].donation_id == gift.id
    assert ledger.verify().ok
    (record,) = result.imports
    assert (record.account_iban, record.format, record.debit_count) == (
        "DE89370400440532013000",
        "camt053",
        1,
    )
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "statement.imported")
    ).one()
    assert event.details["matched"] == 1 and event.organisation_id == appeal.organisation_id


def test_a_statement_imported_twice_changes_nothing(appeal, staff, account):
    gift = pending(appeal, "392R-VV4T")
    run(SPARKASSE, staff["treasurer"])
    before = (count(StatementImport), count(StatementLine), count(AuditEvent))
    again = run(SPARKASSE, staff["treasurer"])
    assert again.summary() == "matched 0, queued 0, duplicate 3"
    assert (count(StatementImport), count(StatementLine), count(AuditEvent)) == before
    # The same lines in another file (a monthly statement covering the day) are duplicates.
    data = (FIXTURES / SPARKASSE).read_bytes().replace(b"2024-03-05-0001", b"2024-03-M")
    other = run(SPARKASSE, staff["treasurer"], data=data)
    assert other.summary() == "matched 0, queued 0, duplicate 3"
    assert count(StatementLine) == before[1]
    assert db.session.get(Donation, gift.id).status == DonationStatus.CONFIRMED
    assert ledger.verify().ok


def test_ambiguous_and_already_confirmed_lines_wait(appeal, staff, account, give):
    # The title holds two codes of pending gifts: which one was paid is the treasurer's call.
    pending(appeal, "392R-VV4T")
    pending(appeal, "9357-T4VW")
    data = (
        (FIXTURES / SPARKASSE)
        .read_bytes()
        .replace(b"bitte keine Spendenquittung", b"und 9357-T4VW bitte keine Spendenquittung")
    )
    paid = give(10_000, method="bank_transfer", reference_code="M8Q3-WQFW")
    result = run(SPARKASSE, staff["treasurer"], data=data)
    assert result.matched == 0
    reasons = db.session.scalars(select(StatementLine.queue_reason).order_by(StatementLine.id))
    assert list(reasons) == [
        QueueReason.AMBIGUOUS,
        QueueReason.ALREADY_CONFIRMED,
        QueueReason.NO_REFERENCE,
    ]
    assert db.session.get(Donation, paid.id).status == DonationStatus.CONFIRMED


def test_a_code_of_another_organisation_matches_nothing(appeal, staff, account):
    other = factories.OrganisationFactory()
    someone_elses = factories.DonationFactory(
        appeal=appeal, organisation_id=other.id, reference_code="392R-VV4T"
    )
    result = run(SPARKASSE, staff["treasurer"])
    assert result.matched == 0
    assert db.session.get(Donation, someone_elses.id).status == DonationStatus.PENDING


def test_what_the_bank_says_about_donors_is_encrypted(appeal, staff, account):
    run(SPARKASSE, staff["treasurer"])
    raw = db.session.execute(
        text("SELECT remittance_text, counterparty_name, bank_reference FROM statement_lines")
    ).all()
    stored = b"".join(bytes(v) for row in raw for v in row if v is not None)
    assert b"Erika" not in stored and b"Spende" not in stored and b"2024030512345" not in stored
    line = db.session.scalars(select(StatementLine).order_by(StatementLine.id)).first()
    assert line.counterparty_name == "Erika Mustermann"


def test_the_organisation_comes_from_the_account_iban(appeal, staff, organisation):
    with pytest.raises(StatementImportError, match="no organisation has this statement"):
        run(SPARKASSE, staff["treasurer"])
    assert count(StatementImport) == 0
    # Named explicitly, it imports into that organisation.
    result = run(SPARKASSE, staff["treasurer"], organisation=organisation)
    assert result.queued == 3


def test_an_account_of_another_organisation_is_refused(appeal, staff, account):
    other = factories.OrganisationFactory()
    with pytest.raises(StatementImportError, match="another organisation"):
        run(SPARKASSE, staff["treasurer"], organisation=other)


def test_csv_through_a_saved_mapping(appeal, staff):
    # The file names no account: the organisation is the mapping's.
    columns = {**MAPPINGS["uk_bank.csv"].to_json(), "default_currency": "EUR"}
    db.session.add(
        StatementMapping(organisation_id=appeal.organisation_id, name="UK bank", columns=columns)
    )
    gift = pending(appeal, "HP33-FC8R", amount=3_000)
    db.session.flush()
    result = run("uk_bank.csv", staff["treasurer"], mapping_name="UK bank")
    assert (result.matched, result.queued, result.debits) == (1, 1, 1)
    assert db.session.get(Donation, gift.id).status == DonationStatus.CONFIRMED


def test_an_unknown_mapping_is_refused(appeal, staff, organisation):
    with pytest.raises(StatementImportError, match="mapping"):
        run("uk_bank.csv", staff["treasurer"], mapping_name="nope", organisation=organisation)


def test_a_malformed_file_is_refused_before_anything_is_written(appeal, staff, account):
    data = (FIXTURES / SPARKASSE).read_bytes()[:3000]
    with pytest.raises(StatementFormatError):
        run(SPARKASSE, staff["treasurer"], data=data)
    assert count(StatementImport) == 0
