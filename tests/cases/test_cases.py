"""Beneficiary records, the case list, status workflow, household, notes and tasks."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from ngo.audit import AuditEvent
from ngo.cases import listing, services
from ngo.cases.errors import CaseError
from ngo.cases.models import Beneficiary, CaseStatus, CaseTask
from ngo.extensions import db
from tests import factories
from tests.conftest import login

SEED = {
    "legal_name": "Аляксандр Зяльцэр",
    "public_name": "Alexander",
    "date_of_birth": "1979-04-12",
    "nationality": "Belarusian",
    "country_of_residence": "Poland",
    "city_of_residence": "Białystok",
    "phone": "+48 600 100 200",
    "email": "alexander@example.net",
    "messenger": "@alex_driver",
    "legal_status": "applicant for international protection",
    "needs": "rent, clothes, code 95 exam",
    "vulnerabilities": "family still reachable at home",
    "risk_level": "high",
    "assigned_caseworker_id": "",
}


@pytest.fixture
def caseworker(make_user):
    return make_user("caseworker")


@pytest.fixture
def cw_client(client, caseworker):
    login(client, caseworker)
    return client


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_caseworker_registers_a_person(cw_client, caseworker):
    response = cw_client.post("/cases/new", data=SEED)
    assert response.status_code == 302
    case = db.session.scalars(select(Beneficiary)).one()
    assert response.headers["Location"] == f"/cases/{case.reference}"
    assert case.legal_name == "Аляксандр Зяльцэр"
    assert case.date_of_birth == date(1979, 4, 12)
    assert case.status == CaseStatus.INTAKE.value
    # The reference in URLs says nothing about the person or the number of cases.
    assert len(case.reference) >= 12
    assert case.reference != "1"
    page = cw_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "+48 600 100 200" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"legal_name": ""}, "legal name."),
        ({"date_of_birth": (date.today() + timedelta(days=1)).isoformat()}, "in the future"),
        ({"date_of_birth": "12/04/1979"}, "Not a valid date value"),
        ({"email": "not-an-address"}, "valid e-mail address"),
        ({"risk_level": "apocalyptic"}, "Not a valid choice"),
        ({"assigned_caseworker_id": "999999"}, "Not a valid choice"),
        ({"legal_name": "x" * 201}, "Field cannot be longer than 200 characters"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(cw_client, change, message):
    response = cw_client.post("/cases/new", data={**SEED, **change})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(Beneficiary) == 0
    assert _count(AuditEvent.__table__) >= 1  # only the sign-in


def test_viewing_personal_data_is_audited(cw_client, organisation, caseworker):
    case = factories.BeneficiaryFactory(organisation=organisation)
    cw_client.get(f"/cases/{case.reference}")
    cw_client.get(f"/cases/{case.reference}/household")
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "case.personal_data_viewed")
        .order_by(AuditEvent.seq)
    ).all()
    assert [(e.actor_id, e.object_id, e.details["part"]) for e in events] == [
        (caseworker.id, str(case.id), "profile"),
        (caseworker.id, str(case.id), "household"),
    ]


def _views() -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "case.personal_data_viewed")
            .order_by(AuditEvent.seq)
        )
    )


def test_tasks_and_history_tabs_are_audited_views(cw_client, organisation, caseworker):
    case = factories.BeneficiaryFactory(organisation=organisation)
    services.add_task(
        case,
        title="Call about the flat in Białystok",
        due_date=date.today(),
        assignee_id=None,
        actor=caseworker,
    )
    db.session.commit()
    assert "Białystok" in cw_client.get(f"/cases/{case.reference}/tasks").get_data(as_text=True)
    refused = cw_client.post(f"/cases/{case.reference}/tasks", data={"title": ""})
    assert refused.status_code == 400 and "Białystok" in refused.get_data(as_text=True)
    history = cw_client.get(f"/cases/{case.reference}/history").get_data(as_text=True)
    assert f"{caseworker.display_name} added a task to {case.reference}" in history
    assert [(e.actor_id, e.object_type, e.object_id, e.details) for e in _views()] == [
        (caseworker.id, "case", str(case.id), {"part": "tasks"}),
        (caseworker.id, "case", str(case.id), {"part": "tasks"}),
        (caseworker.id, "case", str(case.id), {"part": "history"}),
    ]
    # The history lists every look at the case, its own earlier viewing included.
    again = cw_client.get(f"/cases/{case.reference}/history").get_data(as_text=True)
    assert again.count("viewed the tasks of") == 2 and again.count("viewed the history of") == 1


def test_the_case_list_is_an_audited_view_without_the_searched_name(
    cw_client, organisation, caseworker
):
    shown = factories.BeneficiaryFactory(organisation=organisation, legal_name="Ivan Ivanou")
    other = factories.BeneficiaryFactory(organisation=organisation, legal_name="Maryia Kalesnikava")
    assert "Ivan Ivanou" in cw_client.get("/cases/").get_data(as_text=True)
    assert "Ivan Ivanou" in cw_client.post("/cases/", data={"q": "Ivanou"}).get_data(as_text=True)
    first, search = _views()
    assert (first.actor_id, first.organisation_id, first.object_id) == (
        caseworker.id,
        organisation.id,
        None,
    )
    assert first.details == {
        "part": "list",
        "cases": [other.id, shown.id],
        "page": 1,
        "name_search": False,
    }
    assert search.details == {"part": "list", "cases": [shown.id], "page": 1, "name_search": True}
    assert "ivanou" not in str(search.details).lower()


def test_other_organisation_gets_404_and_roles_without_case_access_403(client, make_user):
    other_case = factories.BeneficiaryFactory(organisation=factories.OrganisationFactory())
    login(client, make_user("caseworker"))
    for tab in ("", "/household", "/consent", "/notes", "/tasks", "/history", "/edit"):
        assert client.get(f"/cases/{other_case.reference}{tab}").status_code == 404
    assert (
        client.post(f"/cases/{other_case.reference}/notes", data={"body": "x"}).status_code == 404
    )


@pytest.mark.parametrize("role", ["treasurer", "funder"])
def test_treasurers_and_funders_see_no_cases(client, make_user, organisation, role):
    case = factories.BeneficiaryFactory(organisation=organisation)
    login(client, make_user(role))
    assert client.get("/cases/").status_code == 403
    assert client.get(f"/cases/{case.reference}").status_code == 403


def test_verifier_reads_but_does_not_edit(client, make_user, organisation):
    case = factories.BeneficiaryFactory(organisation=organisation)
    login(client, make_user("verifier"))
    assert client.get(f"/cases/{case.reference}").status_code == 200
    assert client.get(f"/cases/{case.reference}/edit").status_code == 403
    assert client.post(f"/cases/{case.reference}/notes", data={"body": "x"}).status_code == 403
    assert client.post("/cases/new", data=SEED).status_code == 403


def test_status_workflow(cw_client, organisation):
    case = factories.BeneficiaryFactory(organisation=organisation)
    url = f"/cases/{case.reference}/status"
    assert cw_client.post(url, data={"status": "active"}).status_code == 400  # skips assessment
    assert cw_client.post(url, data={"status": "assessment"}).status_code == 302
    assert cw_client.post(url, data={"status": "active"}).status_code == 302
    refused = cw_client.post(url, data={"status": "closed", "reason": " "})
    assert refused.status_code == 400
    assert "Say why the case is closed." in refused.get_data(as_text=True)
    assert cw_client.post(url, data={"status": "closed", "reason": "moved on"}).status_code == 302
    db.session.refresh(case)
    assert case.status == "closed"
    assert case.closed_reason == "moved on"
    assert cw_client.post(url, data={"status": "active"}).status_code == 302  # reopened
    db.session.refresh(case)
    assert case.closed_reason is None
    transitions = db.session.scalars(
        select(AuditEvent.details)
        .where(AuditEvent.action == "case.status_changed")
        .order_by(AuditEvent.seq)
    ).all()
    assert [t["to"] for t in transitions] == ["assessment", "active", "closed", "active"]


def test_the_status_form_preselects_the_current_status(cw_client, organisation):
    case = factories.BeneficiaryFactory(organisation=organisation, status="active")
    page = cw_client.get(f"/cases/{case.reference}").get_data(as_text=True)
    status_select = re.search(r'<select[^>]*name="status".*?</select>', page, re.S).group(0)
    assert re.findall(r"<option selected value=\"(\w+)\"", status_select) == ["active"]
    # Sending the form unchanged changes nothing, and says so.
    refused = cw_client.post(f"/cases/{case.reference}/status", data={"status": "active"})
    assert refused.status_code == 400
    assert "The case already has this status. Choose another one." in refused.get_data(as_text=True)
    db.session.refresh(case)
    assert case.status == "active"
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.status_changed")
    ).all()


def test_household_notes_and_tasks(cw_client, organisation, caseworker):
    case = factories.BeneficiaryFactory(organisation=organisation)
    ref = case.reference
    assert (
        cw_client.post(
            f"/cases/{ref}/household", data={"relationship": "wife", "first_name": "Volha"}
        ).status_code
        == 302
    )
    assert (
        cw_client.post(
            f"/cases/{ref}/household",
            data={"relationship": "son", "first_name": "Mikita", "age": "11"},
        ).status_code
        == 302
    )
    bad_age = cw_client.post(f"/cases/{ref}/household", data={"relationship": "x", "age": "300"})
    assert bad_age.status_code == 400
    page = cw_client.get(f"/cases/{ref}/household").get_data(as_text=True)
    assert "Volha" in page and "Mikita" in page

    assert (
        cw_client.post(f"/cases/{ref}/notes", data={"body": "Called, all safe."}).status_code == 302
    )
    assert cw_client.post(f"/cases/{ref}/notes", data={"body": "   "}).status_code == 400
    assert "Called, all safe." in cw_client.get(f"/cases/{ref}/notes").get_data(as_text=True)

    yesterday = (date.today() - timedelta(days=1)).isoformat()
    response = cw_client.post(
        f"/cases/{ref}/tasks",
        data={
            "title": "Book the code 95 exam",
            "due_date": yesterday,
            "assignee_id": str(caseworker.id),
        },
    )
    assert response.status_code == 302
    mine = cw_client.get("/cases/tasks/mine").get_data(as_text=True)
    assert "Book the code 95 exam" in mine and "overdue" in mine
    task = db.session.scalars(select(CaseTask)).one()
    cw_client.post(f"/cases/{ref}/tasks/{task.id}/done", data={"next": "mine"})
    assert "Book the code 95 exam" not in cw_client.get("/cases/tasks/mine").get_data(as_text=True)


def test_task_for_someone_outside_the_organisation_is_refused(app, organisation, caseworker):
    case = factories.BeneficiaryFactory(organisation=organisation)
    outsider = factories.UserFactory(
        role="caseworker", organisation=factories.OrganisationFactory()
    )
    with pytest.raises(CaseError):
        services.add_task(
            case, title="x", due_date=date.today(), assignee_id=outsider.id, actor=caseworker
        )


def test_case_list_filters_and_search(cw_client, organisation, caseworker):
    factories.BeneficiaryFactory(
        organisation=organisation,
        legal_name="Аляксандр Зяльцэр",
        status="active",
        risk_level="high",
        assigned_caseworker_id=caseworker.id,
    )
    factories.BeneficiaryFactory(
        organisation=organisation,
        legal_name="Maryia Kalesnikava",
        status="intake",
        risk_level="critical",
    )
    factories.BeneficiaryFactory(
        organisation=factories.OrganisationFactory(), legal_name="Aliaksandr Zeltser"
    )

    def names(query: str) -> str:
        data = dict(part.split("=", 1) for part in query.split("&"))
        response = cw_client.post("/cases/", data=data)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert "Аляксандр" in names("q=Aliaksandr")
    assert "Kalesnikava" not in names("q=Aliaksandr")
    assert "Aliaksandr Zeltser" not in names("q=Zeltser")  # other organisation
    assert "Аляксандр" in names("q=zeltser")
    assert "Kalesnikava" in names("q=Калеснікава")
    assert "Kalesnikava" in names("status=intake")
    assert "Аляксандр" not in names("status=intake")
    assert "Kalesnikava" in names("risk=critical")
    assert "Аляксандр" in names(f"caseworker={caseworker.id}")
    assert "No case matches." in names("q=Nobody")


@pytest.mark.parametrize(
    "query",
    [
        "status=banana",
        "risk=x",
        "caseworker=abc",
        "page=0",
        "page=-3",
        "page=99999999",
        "q=" + "a" * 300,
    ],
)
def test_bad_list_parameters_are_400(cw_client, query):
    data = dict([query.split("=", 1)])
    assert cw_client.post("/cases/", data=data).status_code == 400


def test_names_never_travel_in_the_url(cw_client, organisation):
    factories.BeneficiaryFactory(organisation=organisation, legal_name="Ivan Ivanou")
    response = cw_client.get("/cases/?q=Ivanou")
    assert response.status_code == 400
    assert "Search by name with the form on the page." in response.get_data(as_text=True)
    assert "Ivanou" not in response.get_data(as_text=True)
    assert cw_client.get("/cases/?status=intake").status_code == 200


def test_search_strings_with_sql_are_harmless(cw_client, organisation):
    factories.BeneficiaryFactory(organisation=organisation, legal_name="Ivan Ivanou")
    page = cw_client.post("/cases/", data={"q": "' OR 1=1 --"}).get_data(as_text=True)
    assert "Ivan Ivanou" not in page


def test_pages_of_a_name_search_keep_the_name_out_of_urls(cw_client, organisation):
    for n in range(listing.PAGE_SIZE + 3):
        factories.BeneficiaryFactory(organisation=organisation, legal_name=f"Ivan{n} Sidarau")
    first = cw_client.post("/cases/", data={"q": "Sidarau"}).get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "?q=" not in first
    second = cw_client.post("/cases/", data={"q": "Sidarau", "page": "2"})
    assert "Page 2 of 2" in second.get_data(as_text=True)


def test_dashboard_shows_the_caseload(cw_client, organisation, caseworker):
    case = factories.BeneficiaryFactory(organisation=organisation)
    services.add_task(
        case,
        title="Call",
        due_date=date.today() - timedelta(days=1),
        assignee_id=caseworker.id,
        actor=caseworker,
    )
    db.session.commit()
    page = cw_client.get("/dashboard").get_data(as_text=True)
    assert "1 open task" in page
    assert "1 overdue" in page


def test_dashboard_of_a_treasurer_has_no_caseload(client, make_user):
    login(client, make_user("treasurer"))
    assert "Your caseload" not in client.get("/dashboard").get_data(as_text=True)
