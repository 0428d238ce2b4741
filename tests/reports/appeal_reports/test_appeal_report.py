"""The appeal's accountability report: what it says (read back with pypdf), what it never says,
its signature and fingerprint, and the publication safety check that blocks a leaking one."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select

from ngo.campaigns.models import Appeal
from ngo.cases.models import Beneficiary
from ngo.cases.rights import erase_case
from ngo.donations import disbursements, ledger
from ngo.donations.disbursements import NewDisbursement, Proof
from ngo.extensions import db
from ngo.outbox import OutboxMessage
from ngo.reports import appeal_data, archive, runner
from ngo.reports.models import Report, ReportStatus
from ngo.reports.signing import check_signature, signing_key_for
from tests import factories
from tests.conftest import login
from tests.reports.appeal_reports.conftest import pdf_text


def _lines(appeal):
    return sorted(appeal.budget_lines, key=lambda line: (line.priority, line.id))


def _pay_rent(appeal, staff, amount=15_000):
    rent = _lines(appeal)[0]
    return disbursements.record_disbursement(
        appeal,
        NewDisbursement(
            budget_line_id=rent.id,
            amount_minor=amount,
            paid_on=date(2026, 3, 2),
            payee_kind="supplier",
            payee_note="Landlord: Jan Nowak, ul. Lipowa 5",
            public_description="Rent for March, Łódź flat",
            proof=Proof(factories.sample_pdf(), "invoice-nowak.pdf"),
        ),
        actor=staff["treasurer"],
    )


@pytest.fixture
def busy_appeal(appeal, give, staff, make_user):
    """The seed appeal with a summary, gifts (two monthly, one by BLIK, one for the rent line),
    a payment for the rent and an update in Polish and Belarusian."""
    # As published (the factory's appeal has none): written straight to the published text.
    (translation,) = appeal.translations
    translation.summary = "A family of three, safe in Poland: rent, food and a new trade."
    give(5_000)
    give(2_000, frequency="monthly", display_name="Basia z Krakowa")
    give(2_000, frequency="monthly")
    give(10_000, method="blik")
    give(30_000, line=_lines(appeal)[0])
    _pay_rent(appeal, staff)
    factories.AppealUpdateFactory(
        appeal=appeal,
        actor=staff["caseworker"],
        title="Czynsz zapłacony — дзякуй за падтрымку",
        body_markdown="Mieszkanie opłacone do końca marca. Сям'я ў бяспецы.",
        approved_by=staff["admin"],
    )
    return appeal


def test_the_report_holds_the_public_record_in_figures_and_words(busy_appeal, render, staff):
    report = render(staff["caseworker"])

    assert report.status == ReportStatus.DONE, report.error
    assert report.pdf is not None
    text = pdf_text(report.pdf)
    assert "Accountability report" in text
    assert "Helping a former political prisoner" in text  # the title
    assert "A family of three, safe in Poland: rent, food and a new trade." in text
    # Budget: the rent line's goal, what was given for it, and what was paid out of it.
    assert "€2,100.00" in text and "€300.00" in text and "€150.00" in text
    assert "€4,400.00" in text  # the goal of all four lines
    # Gifts: five, their total (€490.00) and median (€50.00), by method and frequency.
    assert "5 gifts received, €490.00 in all; the median gift is €50.00" in text
    assert "BLIK" in text and "Monthly" in text
    # The payment's public description and the update, in Polish and Belarusian.
    assert "Rent for March, Łódź flat" in text
    assert "Czynsz zapłacony — дзякуй за падтрымку" in text
    assert "Сям'я ў бяспецы" in text
    # The verification record names the checks and the organisation.
    assert "Identity" in text and "Persecution" in text
    # The ledger: the appeal's newest entry and a checkpoint that covers it.
    ledger = report.data["ledger"]
    assert ledger["appeal_last_hash"] and ledger["appeal_last_hash"] in text.replace(" ", "")
    assert ledger["checkpoint"]["seq"] >= ledger["appeal_last_seq"]
    assert ledger["checkpoint"]["head_hash"] in text.replace(" ", "")


def test_no_private_value_reaches_the_report(busy_appeal, render, staff, make_user):
    named = make_user("caseworker", display_name="Wiesława Zielińska")
    report = render(named)

    assert report.pdf is not None
    text = pdf_text(report.pdf)
    person = db.session.get_one(Beneficiary, busy_appeal.beneficiary_id)
    assert person.legal_name is not None and person.city_of_residence is not None
    surname = person.legal_name.split()[-1]
    for private in (
        surname,  # the legal surname
        person.city_of_residence,  # the city, not consented
        "600 100 200",  # the phone
        "Nowak",
        "Lipowa",  # the payee's note
        "Kowalska",  # the donors' name (DonorFactory's)
        "@example.org",  # their e-mails
        "Basia",  # a display name chosen for the public ledger: not a report's business
        "Wiesława",
        "Zielińska",  # who asked for the report
        staff["verifier"].display_name,  # who verified
        staff["treasurer"].display_name,  # who paid
    ):
        assert private not in text, private


def test_the_report_is_signed_pdf_a_and_its_sha256_is_of_the_stored_file(
    busy_appeal, render, staff
):
    report = render(staff["caseworker"])

    assert report.pdf is not None
    assert archive.stored_file_intact(report)
    organisation = db.session.get_one(factories.Organisation, busy_appeal.organisation_id)
    check = check_signature(report.pdf, trust_roots=[signing_key_for(organisation).certificate])
    assert check.intact and check.valid and check.trusted and check.covers_whole_file


def test_a_report_in_polish_speaks_polish(busy_appeal, render, staff):
    report = render(staff["caseworker"], language="pl")

    assert report.pdf is not None
    text = pdf_text(report.pdf)
    assert report.data["language"] == "pl"
    # Money in the Polish format (grouping and symbol as CLDR has them), whatever the catalog
    # holds of the report's new words yet.
    assert "2100,00€" in text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    assert "€2,100.00" not in text


def test_a_report_whose_text_leaks_is_refused_and_keeps_no_file(busy_appeal, render, staff):
    # The person moved: the city they did not agree to publish is now the one the payment's
    # public description names (it passed the check when it was written).
    person = db.session.get_one(Beneficiary, busy_appeal.beneficiary_id)
    person.city_of_residence = "Łódź"
    db.session.flush()

    report = render(staff["caseworker"])

    assert report.status == ReportStatus.FAILED
    assert report.pdf is None and report.sha256 is None
    assert report.error is not None
    assert "disbursements" in report.error and "city" in report.error
    assert "Łódź" not in report.error  # the finding is named, never quoted


def test_a_failed_report_can_be_retried_once_the_text_is_fixed(busy_appeal, render, staff):
    person = db.session.get_one(Beneficiary, busy_appeal.beneficiary_id)
    person.city_of_residence = "Łódź"
    report = render(staff["caseworker"])
    assert report.status == ReportStatus.FAILED
    person.city_of_residence = "Białystok"

    runner.retry_report(report, actor=staff["caseworker"])
    db.session.commit()
    db.session.refresh(report)

    assert report.status == ReportStatus.DONE and report.error is None


def test_only_a_failed_report_is_retried(busy_appeal, render, staff):
    report = render(staff["caseworker"])

    with pytest.raises(runner.ReportStateError):
        runner.retry_report(report, actor=staff["caseworker"])


def test_a_render_that_raises_marks_the_report_failed_with_a_reason_and_no_value(
    busy_appeal, render, staff, monkeypatch
):
    def broken(html, stylesheet=""):
        raise OSError("disk full while writing Кавалёў")

    monkeypatch.setattr(archive, "render_archival_pdf", broken)

    report = render(staff["caseworker"])

    assert report.status == ReportStatus.FAILED
    assert report.error is not None and "OSError" in report.error
    assert "Кавалёў" not in report.error
    # The work is dead on the admin's page with the same reason: not retried by itself, since
    # retrying is staff's decision once they know why.
    (message,) = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == runner.RENDER_KIND)
    ).all()
    assert message.dead_at is not None and message.sent_at is None
    assert message.last_error == "PermanentError"
    assert "OSError" in (message.last_error_detail or "")
    assert "Кавалёў" not in (message.last_error_detail or "")


def test_delivering_the_message_twice_renders_one_pdf(busy_appeal, render, staff):
    report = render(staff["caseworker"])
    sha, finished = report.sha256, report.finished_at

    runner.render_report_message({"report_id": report.id})

    db.session.refresh(report)
    assert (report.sha256, report.finished_at) == (sha, finished)


def test_the_figures_are_aggregated_by_the_database(appeal, give, staff):
    """As many statements for 3 gifts as for 30: no query (or loop) per donation."""
    appeal_id = appeal.id
    give(1_000)  # the first gift, the first checkpoint: what every later report repeats

    def statements_for_collect() -> int:
        # As in the worker: a session that holds none of the gifts just made.
        db.session.commit()
        db.session.expunge_all()
        fresh = db.session.get_one(Appeal, appeal_id)
        count = 0

        def counter(*_args: object) -> None:
            nonlocal count
            count += 1

        engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            appeal_data.collect(fresh, "en")
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        db.session.expunge_all()
        db.session.add(appeal)  # back for `give`
        return count

    for _ in range(2):
        give(1_000)
    ledger.LEDGER_LOG.write_checkpoint()
    few = statements_for_collect()
    for n in range(27):
        give(1_000 + n, frequency="monthly" if n % 2 else "one_off")
    # Beat's hourly checkpoint: the report then reads it instead of signing one.
    ledger.LEDGER_LOG.write_checkpoint()
    many = statements_for_collect()

    assert many == few


def test_erasing_the_case_erases_its_stored_reports_and_keeps_their_hash(
    busy_appeal, render, staff, client
):
    report = render(staff["caseworker"])
    assert report.pdf is not None
    digest = report.sha256

    erase_case(
        db.session.get_one(Beneficiary, busy_appeal.beneficiary_id),
        actor=staff["admin"],
        reason_code="person_asked",
    )
    db.session.commit()
    db.session.expire_all()

    erased = db.session.get_one(Report, report.id)
    assert erased.pdf is None and erased.data is None
    assert erased.sha256 == digest
    login(client, staff["caseworker"])
    assert client.get(f"/staff/reports/{report.id}/report.pdf").status_code == 404
