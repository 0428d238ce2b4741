"""The case list for a real caseload: its columns, the "mine" and "overdue" filters, sorting,
page links, and friendly answers to hand-edited addresses."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ngo.audit import AuditEvent
from ngo.cases import listing, services
from ngo.cases.listing import PAGE_SIZE, CaseFilters, CaseSort
from ngo.extensions import db
from tests import factories
from tests.conftest import login
from tests.helpers import counted_statements


@pytest.fixture
def caseworker(make_user):
    return make_user("caseworker", display_name="Ola Caseworker")


@pytest.fixture
def cw_client(client, caseworker):
    login(client, caseworker)
    return client


def _case(organisation, name: str, **values):
    return factories.BeneficiaryFactory(organisation=organisation, legal_name=name, **values)


def _task(case, user, days: int, done: bool = False) -> None:
    task = services.add_task(
        case,
        title="Call",
        due_date=date.today() + timedelta(days=days),
        assignee_id=user.id,
        actor=user,
    )
    if done:
        services.complete_task(task, actor=user)


def _order(page: str, names: list[str]) -> list[str]:
    return sorted((n for n in names if n in page), key=page.index)


def test_the_list_shows_reference_names_status_risk_caseworker_and_next_task(
    cw_client, organisation, caseworker
):
    case = _case(
        organisation,
        "Аляксандр Зяльцэр",
        public_name="Alexander",
        status="active",
        risk_level="high",
        assigned_caseworker_id=caseworker.id,
    )
    _task(case, caseworker, 4)
    _task(case, caseworker, -9, done=True)  # done: no longer next
    _task(case, caseworker, 12)
    db.session.commit()
    page = cw_client.get("/cases/").get_data(as_text=True)
    row = page[page.index(case.reference) : page.index("</tr>", page.index(case.reference))]
    assert "Alexander" in row and "Аляксандр Зяльцэр" in row
    assert "Active" in row and "High" in row and "Ola Caseworker" in row
    assert f"/cases/{case.reference}/tasks" in row
    soon = date.today() + timedelta(days=4)
    assert soon.strftime("%Y") in row and "overdue" not in row


def test_mine_and_overdue_filters(cw_client, organisation, caseworker, make_user):
    colleague = make_user("caseworker")
    late_mine = _case(organisation, "Late Mine", assigned_caseworker_id=caseworker.id)
    _task(late_mine, caseworker, -1)
    on_time_mine = _case(organisation, "Ontime Mine", assigned_caseworker_id=caseworker.id)
    _task(on_time_mine, caseworker, 3)
    late_theirs = _case(organisation, "Late Theirs", assigned_caseworker_id=colleague.id)
    _task(late_theirs, colleague, -5)
    done_late = _case(organisation, "Done Late", assigned_caseworker_id=caseworker.id)
    _task(done_late, caseworker, -5, done=True)
    db.session.commit()
    names = ["Late Mine", "Ontime Mine", "Late Theirs", "Done Late"]

    def shown(query: str) -> list[str]:
        response = cw_client.get(f"/cases/?{query}")
        assert response.status_code == 200
        return _order(response.get_data(as_text=True), names)

    assert set(shown("mine=1")) == {"Late Mine", "Ontime Mine", "Done Late"}
    assert set(shown("overdue=1")) == {"Late Mine", "Late Theirs"}
    assert shown("mine=1&overdue=1") == ["Late Mine"]
    # The same filters from the form (POST), and the tick boxes stay ticked.
    page = cw_client.post("/cases/", data={"mine": "1", "overdue": "1"}).get_data(as_text=True)
    assert _order(page, names) == ["Late Mine"]
    assert re.search(r'id="mine"[^>]*checked', page)
    assert re.search(r'id="overdue"[^>]*checked', page)


def test_sorting_by_next_task_status_risk_and_reference(cw_client, organisation, caseworker):
    a = _case(organisation, "Alpha One", status="closed", risk_level="low")
    b = _case(organisation, "Bravo Two", status="intake", risk_level="critical")
    c = _case(organisation, "Charlie Three", status="active", risk_level="medium")
    _task(a, caseworker, 10)
    _task(c, caseworker, -2)
    db.session.commit()
    names = ["Alpha One", "Bravo Two", "Charlie Three"]

    def order(sort: str) -> list[str]:
        return _order(cw_client.get(f"/cases/?sort={sort}").get_data(as_text=True), names)

    # Soonest task first; a case with no open task last.
    assert order("next_task") == ["Charlie Three", "Alpha One", "Bravo Two"]
    assert order("status") == ["Bravo Two", "Charlie Three", "Alpha One"]
    assert order("risk") == ["Bravo Two", "Charlie Three", "Alpha One"]
    # Newest first by default.
    assert order("registered") == ["Charlie Three", "Bravo Two", "Alpha One"]
    by_reference = [x.legal_name for x in sorted([a, b, c], key=lambda x: x.reference)]
    assert order("reference") == by_reference
    # The sortable columns' headings are links keeping the other filters.
    headings = cw_client.get("/cases/?mine=1&sort=status").get_data(as_text=True)
    assert 'href="/cases/?mine=1&amp;sort=risk"' in headings
    assert 'aria-sort="ascending">Status</th>' in headings
    # Names are encrypted: no sort by name is offered.
    assert cw_client.get("/cases/?sort=name").status_code == 400


def test_pages_of_fifty_with_page_links(cw_client, organisation):
    for n in range(PAGE_SIZE + 3):
        _case(organisation, f"Person{n:03d} Paged")
    db.session.commit()
    first = cw_client.get("/cases/?sort=reference").get_data(as_text=True)
    assert first.count(" Paged</a>") == PAGE_SIZE
    assert "Page 1 of 2" in first
    assert 'href="/cases/?sort=reference&amp;page=2"' in first
    second = cw_client.get("/cases/?sort=reference&page=2").get_data(as_text=True)
    assert second.count(" Paged</a>") == 3
    assert 'aria-current="page"' in second and 'href="/cases/?sort=reference"' in second
    # No case is on both pages.
    refs = set(re.findall(r"<code>([^<]+)</code>", first))
    assert refs.isdisjoint(re.findall(r"<code>([^<]+)</code>", second))


def test_a_searched_name_pages_by_buttons_never_by_links(cw_client, organisation):
    for n in range(PAGE_SIZE + 1):
        _case(organisation, f"Person{n:03d} Searched")
    db.session.commit()
    page = cw_client.post("/cases/", data={"q": "Searched"}).get_data(as_text=True)
    assert "Searched" not in "".join(re.findall(r'href="[^"]*"', page))
    assert page.count('name="q" value="Searched"') >= 2  # the form and the page buttons
    second = cw_client.post("/cases/", data={"q": "Searched", "page": "2"})
    assert second.status_code == 200
    assert second.get_data(as_text=True).count(" Searched</a>") == 1


def test_a_page_past_the_end_is_a_friendly_404(cw_client, organisation):
    _case(organisation, "Only Person")
    db.session.commit()
    response = cw_client.get("/cases/?page=99")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "There is no page 99: the list has 1 page." in page
    assert 'href="/cases/"' in page  # the way back
    assert "<h1>Cases</h1>" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=banana", "Unknown value for “status”"),
        ("risk=x", "Unknown value for “risk”"),
        ("caseworker=abc", "Unknown value for “caseworker”"),
        ("sort=legal_name", "Unknown value for “sort”"),
        ("page=abc", "Unknown value for “page”"),
        ("page=0", "There is no such page"),
    ],
)
def test_a_hand_edited_filter_gets_the_list_with_a_message(cw_client, organisation, query, message):
    _case(organisation, "Still Listed")
    db.session.commit()
    response = cw_client.get(f"/cases/?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "Still Listed" in page  # the rest of the list still works
    assert "Show all cases" in page


def test_the_list_view_is_recorded_with_the_cases_in_page_order(cw_client, organisation):
    older = _case(organisation, "Older One")
    newer = _case(organisation, "Newer One")
    db.session.commit()
    cw_client.get("/cases/?sort=registered")
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.personal_data_viewed")
    ).one()
    assert event.details["cases"] == [newer.id, older.id]


def test_another_organisations_cases_never_show(cw_client, organisation, caseworker):
    elsewhere = factories.OrganisationFactory()
    _case(elsewhere, "Foreign Person")
    db.session.commit()
    for query in ("", "sort=next_task", "overdue=1", f"caseworker={caseworker.id}"):
        assert "Foreign Person" not in cw_client.get(f"/cases/?{query}").get_data(as_text=True)


def test_a_page_of_cases_takes_the_same_queries_for_5_and_60_cases(organisation, caseworker):
    filters = CaseFilters(sort=CaseSort.NEXT_TASK, overdue=False)

    def statements() -> int:
        with counted_statements() as seen:
            rows, _ = listing.case_page(organisation.id, filters)
            [row.case.assigned_caseworker for row in rows]
        return len(seen)

    for n in range(5):
        case = _case(organisation, f"Person{n} Few", assigned_caseworker_id=caseworker.id)
        _task(case, caseworker, n)
    db.session.commit()
    few = statements()
    for n in range(55):
        case = _case(organisation, f"Person{n} Many", assigned_caseworker_id=caseworker.id)
        _task(case, caseworker, n - 10)
    db.session.commit()
    assert statements() == few
