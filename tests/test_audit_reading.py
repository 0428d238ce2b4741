"""The audit log as sentences: names looked up at display time for the viewer's organisation,
batched per object type, filtered by person, case and kind of action, in pages."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import event

from ngo import audit, audit_reading
from ngo.cases.services import record_personal_data_view
from ngo.extensions import db
from tests import factories
from tests.conftest import login


@pytest.fixture
def caseworker(make_user):
    return make_user("caseworker", display_name="Demo caseworker")


def _alexander(organisation):
    return factories.BeneficiaryFactory(
        organisation=organisation, legal_name="Aliaksandr Zieltsar", public_name="Alexander"
    )


def _page(client, url: str = "/admin/audit", status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_an_event_reads_as_a_sentence_with_names_and_a_date(admin_client, organisation, caseworker):
    case = _alexander(organisation)
    record_personal_data_view(case, actor=caseworker, part="story")
    db.session.commit()
    page = _page(admin_client)
    assert "Demo caseworker viewed Alexander&#39;s story" in page
    assert "Zieltsar" not in page and "Aliaksandr" not in page
    assert "case.personal_data_viewed" not in page
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4}|\d{1,2} [A-Z][a-z]{2} \d{4}", page)


def test_a_case_without_public_name_is_named_by_its_reference(
    admin_client, organisation, caseworker
):
    case = factories.BeneficiaryFactory(organisation=organisation, legal_name="Maryia Secret")
    record_personal_data_view(case, actor=caseworker, part="notes")
    db.session.commit()
    page = _page(admin_client)
    assert f"Demo caseworker viewed the notes of {case.reference}" in page
    assert "Maryia" not in page


def test_an_appeal_is_named_by_its_title(admin_client, organisation, caseworker, make_user):
    case = _alexander(organisation)
    factories.StoryVersionFactory(
        beneficiary=case, actor=caseworker, verified_by=make_user("verifier")
    )
    factories.AppealFactory(beneficiary=case, actor=caseworker, title="A flat for Alexander")
    db.session.commit()
    page = _page(admin_client)
    assert "Demo caseworker created the appeal A flat for Alexander" in page
    assert "Demo caseworker added a budget line to the appeal A flat for Alexander" in page


def test_an_unknown_action_still_reads(admin_client, organisation, caseworker):
    audit.record(
        "widget.frobbed",
        actor_id=caseworker.id,
        organisation_id=organisation.id,
        object_type="widget",
        object_id=7,
    )
    db.session.commit()
    assert "Demo caseworker: widget frobbed (widget 7)" in _page(admin_client)


def test_names_are_looked_up_once_per_object_type_not_per_row(
    app, organisation, caseworker, make_user
):
    def queries_for(count: int) -> int:
        cases = [_alexander(organisation) for _ in range(count)]
        actors = [make_user("caseworker") for _ in range(count)]
        for case, actor in zip(cases, actors, strict=True):
            record_personal_data_view(case, actor=actor, part="profile")
        db.session.flush()
        events, _total = audit_reading.page_of_events(organisation.id)
        statements: list[str] = []

        def count_statement(_conn, _cursor, statement, *_args):
            statements.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", count_statement)
        try:
            with app.test_request_context():
                rows = audit_reading.readable_events(events, organisation.id)
        finally:
            event.remove(engine, "before_cursor_execute", count_statement)
        assert len(rows) == len(events)
        return len(statements)

    assert queries_for(2) == queries_for(20) == 2


def test_filters_by_person_case_and_kind_of_action(
    admin_client, organisation, caseworker, make_user
):
    other = make_user("caseworker", display_name="Other worker")
    alexander = _alexander(organisation)
    second = factories.BeneficiaryFactory(organisation=organisation, public_name="Tania")
    record_personal_data_view(alexander, actor=caseworker, part="story")
    record_personal_data_view(second, actor=other, part="household")
    db.session.commit()

    mine = _page(admin_client, f"/admin/audit?person={caseworker.id}")
    assert "viewed Alexander&#39;s story" in mine and "Tania" not in mine
    by_case = _page(admin_client, f"/admin/audit?case={second.reference}")
    assert "Other worker viewed the household of Tania" in by_case
    assert "Alexander" not in by_case
    cases_only = _page(admin_client, "/admin/audit?action=case")
    assert "Tania" in cases_only and " signed in" not in cases_only
    sign_ins = _page(admin_client, "/admin/audit?action=user")
    assert " signed in" in sign_ins and "Tania" not in sign_ins


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("case=nosuchcase", "No case of this organisation has this reference."),
        ("person=99999", "Not a valid choice"),
        ("action=nonsense", "Not a valid choice"),
        ("page=0", "Choose a page between 1 and 10000."),
        ("page=abc", "Not a valid integer value"),
    ],
)
def test_bad_filters_are_shown_at_their_field(admin_client, query, message):
    page = _page(admin_client, f"/admin/audit?{query}", status=400)
    assert message in page
    assert "There is a problem" in page


def test_the_log_comes_in_pages(admin_client, organisation, caseworker):
    case = _alexander(organisation)
    for _ in range(audit_reading.PAGE_SIZE + 5):
        record_personal_data_view(case, actor=caseworker, part="profile")
    db.session.commit()
    first = _page(admin_client, f"/admin/audit?person={caseworker.id}")
    assert first.count("viewed the profile of Alexander") == audit_reading.PAGE_SIZE
    assert "Page 1 of 2" in first
    assert f"person={caseworker.id}" in first.split("Page 1 of 2")[1]
    second = _page(admin_client, f"/admin/audit?person={caseworker.id}&page=2")
    assert second.count("viewed the profile of Alexander") == 5


def test_only_admins_read_the_log_and_only_their_organisation(client, organisation, caseworker):
    login(client, caseworker)
    assert client.get("/admin/audit").status_code == 403
    elsewhere = factories.OrganisationFactory()
    stranger = factories.UserFactory(role="admin", organisation=elsewhere)
    record_personal_data_view(_alexander(organisation), actor=caseworker, part="story")
    db.session.commit()
    client.post("/logout")
    login(client, stranger)
    page = _page(client)
    assert "Alexander" not in page and "Demo caseworker" not in page


def test_the_case_history_tab_reads_the_same_way(client, organisation, caseworker):
    case = _alexander(organisation)
    record_personal_data_view(case, actor=caseworker, part="story")
    db.session.commit()
    login(client, caseworker)
    page = _page(client, f"/cases/{case.reference}/history")
    assert "Demo caseworker viewed Alexander&#39;s story" in page
    assert client.get(f"/cases/{case.reference}/history?page=x").status_code == 400


def test_dates_follow_the_viewers_locale(app):
    moment = datetime(2026, 12, 1, 10, 42)
    with app.test_request_context():
        with force_locale("en"):
            english = audit_reading.when_text(moment)
        with force_locale("pl"):
            polish = audit_reading.when_text(moment)
    assert "2026" in english and "Dec" in english
    assert "gru" in polish and english != polish


def test_views_of_several_cases_read_without_a_missing_name(admin_client, organisation, caseworker):
    case = _alexander(organisation)
    for part in ("dashboard", "a part no sentence names"):
        audit.record(
            "case.personal_data_viewed",
            actor_id=caseworker.id,
            organisation_id=organisation.id,
            details={"part": part, "cases": [case.id]},
        )
    db.session.commit()
    page = _page(admin_client, f"/admin/audit?person={caseworker.id}")
    assert "Demo caseworker viewed cases on their dashboard" in page
    assert "Demo caseworker viewed people&#39;s data" in page
    assert not re.search(r"viewed the data of\s*<", page)
