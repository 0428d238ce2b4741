"""The reconciliation queue and `flask --app ngo donations import-statement`."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from ngo.audit import AuditEvent
from ngo.donations import ledger, reconciliation
from ngo.donations.bank_accounts import BankAccountDetails, add_bank_account
from ngo.donations.cli_statements import import_statement_command
from ngo.donations.models import (
    Donation,
    DonationStatus,
    LineStatus,
    StatementImport,
    StatementLine,
)
from ngo.donations.reconciliation import ReconciliationError
from ngo.donations.statement_import import import_statement
from ngo.extensions import db
from tests import factories
from tests.donations.statements.helpers import FIXTURES

SPARKASSE = "camt053_v02_sparkasse.xml"


@pytest.fixture
def account(organisation, staff):
    return add_bank_account(
        organisation,
        currency="EUR",
        iban="DE89370400440532013000",
        details=BankAccountDetails(account_holder="Hilfsverein e.V.", bic="COBADEFFXXX"),
        actor=staff["admin"],
    )


@pytest.fixture
def queue(organisation, staff, account, appeal):
    import_statement((FIXTURES / SPARKASSE).read_bytes(), SPARKASSE, actor=staff["treasurer"])
    return reconciliation.queued_lines(organisation)


def test_assigning_a_line_makes_a_confirmed_gift_through_the_core(queue, appeal, staff):
    assert len(queue) == 3 and reconciliation.queued_count(appeal.organisation_id) == 3
    line = queue[1]  # 100.00 EUR with a code nobody has
    rent = sorted(appeal.budget_lines, key=lambda b: b.id)[0]
    donation = reconciliation.assign_line(line, appeal, staff["treasurer"], budget_line=rent)
    assert donation.status == DonationStatus.CONFIRMED
    assert (donation.amount_minor, donation.currency, donation.budget_line_id) == (
        10_000,
        "EUR",
        rent.id,
    )
    assert donation.donor_id is None and donation.recorded_by_id == staff["treasurer"].id
    assert (line.status, line.donation_id) == (LineStatus.ASSIGNED, donation.id)
    assert ledger.verify().ok
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "statement_line.assigned")
    ).one()
    assert event.details["donation_id"] == donation.id
    with pytest.raises(ReconciliationError, match="already"):
        reconciliation.assign_line(line, appeal, staff["treasurer"])
    assert reconciliation.queued_count(appeal.organisation_id) == 2


def test_marking_a_line_unrelated(queue, appeal, staff):
    line = queue[2]
    reconciliation.mark_unrelated(line, staff["treasurer"])
    assert line.status == LineStatus.UNRELATED and line.donation_id is None
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0
    with pytest.raises(ReconciliationError):
        reconciliation.mark_unrelated(line, staff["treasurer"])


def test_an_appeal_or_line_of_another_kind_is_refused(queue, appeal, staff):
    other = factories.OrganisationFactory()
    foreign = type(appeal)(organisation_id=other.id)
    with pytest.raises(ReconciliationError, match="your organisation"):
        reconciliation.assign_line(queue[0], foreign, staff["treasurer"])
    assert queue[0].status == LineStatus.QUEUED


# The CLI


def test_cli_imports_each_file_and_prints_its_counts(app, appeal, staff, account, tmp_path):
    factories.DonationFactory(appeal=appeal, reference_code="392R-VV4T")
    db.session.flush()
    first = tmp_path / "day1.xml"
    shutil.copy(FIXTURES / SPARKASSE, first)
    runner = app.test_cli_runner()
    result = runner.invoke(import_statement_command, [str(first), str(first)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{first}: matched 1, queued 2, duplicate 0",
        f"{first}: matched 0, queued 0, duplicate 3",
    ]


def test_cli_a_malformed_file_exits_2_and_imports_nothing_from_it(
    app, appeal, staff, account, tmp_path
):
    broken = tmp_path / "broken.xml"
    broken.write_bytes((FIXTURES / SPARKASSE).read_bytes()[:3000])
    good = tmp_path / "good.mt940"
    shutil.copy(FIXTURES / "pko_bp.mt940", good)
    name = appeal_org_name(appeal)
    db.session.commit()  # as a command sees it: the broken file's rollback keeps the rest
    result = app.test_cli_runner().invoke(
        import_statement_command, [str(broken), str(good), "--org", name]
    )
    assert result.exit_code == 2
    assert f"{broken}, line " in result.output and "nothing imported" in result.output
    assert f"{good}: matched 0, queued 3, duplicate 0" in result.output
    imported = db.session.scalars(select(StatementImport.format)).all()
    assert imported == ["mt940"]
    assert db.session.scalar(select(func.count()).select_from(StatementLine)) == 3


def test_cli_an_unknown_account_or_organisation_exits_2(app, appeal, tmp_path):
    file = tmp_path / "pko.mt940"
    shutil.copy(FIXTURES / "pko_bp.mt940", file)
    result = app.test_cli_runner().invoke(import_statement_command, [str(file)])
    assert result.exit_code == 2 and "no organisation has this statement" in result.output
    result = app.test_cli_runner().invoke(import_statement_command, [str(file), "--org", "nope"])
    assert result.exit_code == 2 and "No organisation" in result.output


def appeal_org_name(appeal):
    from ngo.accounts.models import Organisation

    return db.session.get(Organisation, appeal.organisation_id).name
