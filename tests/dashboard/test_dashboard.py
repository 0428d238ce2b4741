"""The dashboard of each role lists its work, scoped to the acting organisation, with four eyes
on what waits for a second person, and a number of queries that does not grow with the
caseload."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from ngo.accounts.models import Role
from ngo.audit import AuditEvent
from ngo.campaigns import services as appeals
from ngo.cases import services, stories, verification, worklist
from ngo.cases.models import (
    Beneficiary,
    CheckKind,
    ConsentAudience,
    ConsentItem,
    EvidenceItem,
)
from ngo.extensions import db
from ngo.timeutil import utcnow
from tests import factories
from tests.campaigns.appeal_fixtures import alexander, draft_appeal, staff
from tests.conftest import login
from tests.helpers import counted_statements

__all__ = ["alexander", "staff"]  # fixtures used by name


def _dashboard(client, user) -> str:
    login(client, user)
    response = client.get("/dashboard")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _case(organisation, caseworker, name: str, **values) -> Beneficiary:
    return factories.BeneficiaryFactory(
        organisation=organisation,
        legal_name=name,
        assigned_caseworker_id=caseworker.id if caseworker else None,
        **values,
    )


def _task(case, user, title: str, days: int) -> None:
    services.add_task(
        case,
        title=title,
        due_date=date.today() + timedelta(days=days),
        assignee_id=user.id,
        actor=user,
    )


def _returned_story(case, author, verifier):
    version = factories.StoryVersionFactory(beneficiary=case, actor=author)
    stories.submit_for_verification(version, actor=author)
    verification.verify_version(
        version,
        verifier=verifier,
        approved=False,
        checks=[verification.CheckResult(kind, False) for kind in CheckKind],
        comments="The dates do not match the verdict.",
    )
    return version


def test_a_caseworker_sees_their_cases_tasks_returned_stories_and_expiring_consents(
    client, organisation, make_user
):
    caseworker, colleague, verifier = (
        make_user("caseworker"),
        make_user("caseworker"),
        make_user("verifier"),
    )
    mine = _case(organisation, caseworker, "Ivan Ivanou")
    _task(mine, caseworker, "Call the landlord", -2)
    _task(mine, caseworker, "Book the exam", 5)
    quiet = _case(organisation, caseworker, "Pavel Quiet")
    theirs = _case(organisation, colleague, "Hanna Theirs")
    _task(theirs, colleague, "Their overdue call", -3)
    _case(organisation, caseworker, "Closed Person", status="closed")
    _returned_story(mine, caseworker, verifier)
    factories.ConsentFactory(
        beneficiary=quiet,
        actor=caseworker,
        items=[ConsentItem.PHOTO],
        audiences=[ConsentAudience.PUBLIC_PAGE],
        expires_on=date.today() + timedelta(days=12),
    )
    factories.ConsentFactory(
        beneficiary=quiet,
        actor=caseworker,
        items=[ConsentItem.CITY],
        audiences=[ConsentAudience.PUBLIC_PAGE],
        expires_on=date.today() + timedelta(days=90),
    )
    db.session.commit()

    page = _dashboard(client, caseworker)
    # My cases, the one whose next task is soonest first, with that task.
    assert page.index("Ivan Ivanou") < page.index("Pavel Quiet")
    assert "Call the landlord" in page and "no open task" in page
    assert "Closed Person" not in page
    # Another caseworker's case and task are not mine.
    assert "Hanna Theirs" not in page and "Their overdue call" not in page
    assert f"/cases/{mine.reference}/story" in page
    assert "version 1, returned with comments" in page
    assert f"/cases/{quiet.reference}/consent" in page
    assert "Photo, Public appeal page" in page
    assert "City, Public appeal page" not in page  # ends in 90 days


def test_showing_the_dashboard_is_recorded_naming_the_cases_it_showed(
    client, organisation, make_user
):
    caseworker = make_user("caseworker")
    case = _case(organisation, caseworker, "Ivan Ivanou")
    db.session.commit()
    _dashboard(client, caseworker)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.personal_data_viewed")
    ).one()
    assert event.actor_id == caseworker.id
    assert event.details == {"part": "dashboard", "cases": [case.id]}
    assert "Ivan" not in str(event.details)


def test_a_dashboard_that_names_nobody_records_nothing(client, make_user):
    _dashboard(client, make_user("caseworker"))
    assert "case.personal_data_viewed" not in db.session.scalars(select(AuditEvent.action)).all()


def test_another_organisations_work_never_shows(client, organisation, make_user):
    caseworker, verifier = make_user("caseworker"), make_user("verifier")
    elsewhere = factories.OrganisationFactory()
    outsider = factories.UserFactory(role="caseworker", organisation=elsewhere)
    foreign = _case(elsewhere, outsider, "Foreign Person")
    _task(foreign, outsider, "Foreign task", -1)
    factories.StoryVersionFactory(beneficiary=foreign, actor=outsider)
    stories.submit_for_verification(stories.story_of(foreign).versions[0], actor=outsider)
    db.session.commit()
    for user in (caseworker, verifier, make_user("admin")):
        page = _dashboard(client.application.test_client(), user)
        assert "Foreign" not in page
        assert foreign.reference not in page


def test_a_verifier_sees_stories_waiting_with_their_evidence_but_never_their_own(
    client, organisation, make_user
):
    caseworker, verifier, admin = make_user("caseworker"), make_user("verifier"), make_user("admin")
    written_by_caseworker = _case(organisation, caseworker, "Ivan Ivanou")
    factories.EvidenceFactory(beneficiary=written_by_caseworker, actor=caseworker)
    factories.EvidenceFactory(beneficiary=written_by_caseworker, actor=caseworker)
    version = factories.StoryVersionFactory(beneficiary=written_by_caseworker, actor=caseworker)
    stories.submit_for_verification(version, actor=caseworker)
    # The admin writes a story: they may not verify it themselves, the verifier may.
    written_by_admin = _case(organisation, caseworker, "Maryia Admins")
    own = factories.StoryVersionFactory(beneficiary=written_by_admin, actor=admin)
    stories.submit_for_verification(own, actor=admin)
    # A draft is not waiting for anybody.
    factories.StoryVersionFactory(beneficiary=_case(organisation, None, "Draft Only"), actor=admin)
    db.session.commit()

    page = _dashboard(client, verifier)
    assert "Stories to verify" in page
    assert "Ivan Ivanou" in page and "2 evidence items" in page
    assert "Maryia Admins" in page and "0 evidence items" in page
    assert "Draft Only" not in page

    admin_page = _dashboard(client.application.test_client(), admin)
    verify_section = admin_page[admin_page.index("Stories to verify") :]
    verify_section = verify_section[: verify_section.index("Appeals to approve")]
    assert "Ivan Ivanou" in verify_section
    assert "Maryia Admins" not in verify_section
    assert "1 more story waits for someone else: you wrote some of it." in verify_section

    # The caseworker does not verify: no such section.
    assert "Stories to verify" not in _dashboard(client.application.test_client(), caseworker)


def test_appeals_waiting_for_approval_follow_four_eyes(client, staff, alexander):
    appeal = appeals.create_appeal(
        alexander, currency="EUR", language="en", title="Help for a family", actor=staff["admin"]
    )
    appeals.submit_for_review(appeal, actor=staff["admin"])
    other = draft_appeal(alexander, staff)  # a draft waits for nobody
    db.session.commit()

    page = _dashboard(client, staff["verifier"])
    assert f"/staff/appeals/{appeal.slug}/review" in page
    assert "Help for a family" in page
    assert f"{other.slug}/review" not in page
    evidence = db.session.scalar(
        select(func.count(EvidenceItem.id)).where(
            EvidenceItem.beneficiary_id == alexander.id, EvidenceItem.destroyed_at.is_(None)
        )
    )
    assert evidence and f"{evidence} evidence items" in page

    admin_page = _dashboard(client.application.test_client(), staff["admin"])
    assert f"{appeal.slug}/review" not in admin_page
    assert "1 more item waits for someone else: you wrote, sent or changed it." in admin_page


def test_an_admin_sees_invitations_locked_accounts_and_failed_work(
    client, organisation, make_user, admin
):
    from ngo.accounts import invitations

    invitations.invite_user(
        organisation,
        email="new.verifier@example.org",
        role=Role.VERIFIER,
        locale="en",
        actor=admin,
    )
    elsewhere = factories.OrganisationFactory()
    invitations.invite_user(
        elsewhere,
        email="not.ours@example.org",
        role=Role.VERIFIER,
        locale="en",
        actor=factories.UserFactory(role="admin", organisation=elsewhere),
    )
    locked = make_user("caseworker", display_name="Locked Lena")
    locked.locked_at = utcnow()
    paused = make_user("caseworker", display_name="Paused Piotr")
    paused.locked_until = utcnow() + timedelta(minutes=10)
    make_user("caseworker", display_name="Over Olga").locked_until = utcnow() - timedelta(minutes=1)
    db.session.commit()

    page = _dashboard(client, admin)
    assert "new.verifier@example.org" in page
    assert "not.ours@example.org" not in page
    assert f"/admin/users/{locked.id}" in page and "Locked Lena" in page
    assert "Paused Piotr" in page and "paused after wrong guesses" in page
    assert "Over Olga" not in page
    assert 'href="/admin/work"' in page
    # Not for the other roles.
    for role in ("caseworker", "verifier", "treasurer"):
        other = _dashboard(client.application.test_client(), make_user(role))
        assert "new.verifier@example.org" not in other and "Locked Lena" not in other


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        ("caseworker", ["Casework"], ["Waiting for a second person", "Administration", "Money"]),
        ("verifier", ["Waiting for a second person"], ["Casework", "Administration", "Money"]),
        ("treasurer", ["Money"], ["Casework", "Waiting for a second person", "Administration"]),
        ("funder", ["Funder portal"], ["Casework", "Money", "Administration"]),
        (
            "admin",
            ["Casework", "Waiting for a second person", "Money", "Administration"],
            ["Funder portal"],
        ),
    ],
)
def test_each_role_sees_the_sections_of_its_work(client, make_user, role, present, absent):
    page = _dashboard(client, make_user(role))
    for heading in present:
        assert f">{heading}</h2>" in page, heading
    for heading in absent:
        assert f">{heading}</h2>" not in page, heading


def _caseload(organisation, caseworker, verifier, size: int) -> None:
    for n in range(size):
        case = _case(organisation, caseworker, f"Person{n} Load")
        _task(case, caseworker, f"Task {n}", -1 - n % 3)
        factories.ConsentFactory(
            beneficiary=case,
            actor=caseworker,
            items=[ConsentItem.PHOTO],
            audiences=[ConsentAudience.PUBLIC_PAGE],
            expires_on=date.today() + timedelta(days=10),
        )
        version = factories.StoryVersionFactory(beneficiary=case, actor=caseworker)
        stories.submit_for_verification(version, actor=caseworker)
        if n % 2:
            verification.verify_version(
                version,
                verifier=verifier,
                approved=False,
                checks=[verification.CheckResult(kind, False) for kind in CheckKind],
                comments="Not yet.",
            )
    db.session.commit()


@pytest.mark.parametrize("role", ["admin", "caseworker", "verifier"])
def test_the_dashboard_queries_do_not_grow_with_the_caseload(client, organisation, make_user, role):
    caseworker = make_user("admin") if role == "admin" else make_user("caseworker")
    verifier = make_user("verifier")
    viewer = {"admin": caseworker, "caseworker": caseworker, "verifier": verifier}[role]
    login(client, viewer)

    def statements() -> int:
        with counted_statements() as seen:
            assert client.get("/dashboard").status_code == 200
        return len(seen)

    _caseload(organisation, caseworker, verifier, 3)
    small = statements()
    _caseload(organisation, caseworker, verifier, 25)
    assert statements() == small


# The verifier's list, in SQL -----------------------------------------------------------------


def _submit(case, author):
    version = factories.StoryVersionFactory(beneficiary=case, actor=author)
    stories.submit_for_verification(version, actor=author)
    return version


def test_the_verifier_list_is_each_storys_latest_submitted_version_in_two_queries(
    organisation, make_user
):
    caseworker, verifier = make_user("caseworker"), make_user("verifier")
    # Returned once, written again and sent back: only version 2 waits.
    again = _case(organisation, caseworker, "Ivan Again")
    _returned_story(again, caseworker, verifier)
    second = stories.edit_story(
        stories.story_of(again), title="Story", body="Written again.", actor=caseworker
    )
    stories.submit_for_verification(second, actor=caseworker)
    # Two documents, one of them destroyed: one counts.
    documented = _case(organisation, caseworker, "Olga Documents")
    factories.EvidenceFactory(beneficiary=documented, actor=caseworker)
    gone = factories.EvidenceFactory(beneficiary=documented, actor=caseworker)
    gone.destroyed_at = utcnow()
    _submit(documented, caseworker)
    # An erased case waits for nobody.
    erased = _case(organisation, caseworker, "Erased Person")
    _submit(erased, caseworker)
    erased.erased_at = utcnow()
    db.session.flush()

    with counted_statements() as seen:
        work = worklist.verifier_work(verifier, organisation.id)
    assert len(seen) == 2, seen
    listed = {item.case.beneficiary_id: item for item in work.stories.items}
    assert set(listed) == {again.id, documented.id}
    assert listed[again.id].version == 2
    assert listed[documented.id].evidence_count == 1
    assert work.stories.total == 2 and work.written_by_you == 0


def test_the_verifier_list_and_the_story_page_apply_the_same_four_eyes(organisation, make_user):
    """Whoever `verification.decision_refusals` lets decide a version finds it on their
    dashboard, and nobody else does; the count of the others says how many they wrote."""
    first_writer, caseworker, verifier = (
        make_user("admin"),
        make_user("caseworker"),
        make_user("verifier"),
    )
    # Built on text the admin wrote and a verifier approved: the admin may not verify it.
    built_on = _case(organisation, caseworker, "Built On")
    first = _submit(built_on, first_writer)
    factories.EvidenceFactory(beneficiary=built_on, actor=caseworker)
    evidence = db.session.scalars(
        select(EvidenceItem.id).where(EvidenceItem.beneficiary_id == built_on.id)
    ).first()
    verification.verify_version(
        first,
        verifier=verifier,
        approved=True,
        checks=[verification.CheckResult(kind, True, evidence) for kind in CheckKind],
        comments=None,
    )
    edited = stories.edit_story(first.story, title="Story", body="Edited.", actor=caseworker)
    stories.submit_for_verification(edited, actor=caseworker)
    # Written by the admin alone, and by the caseworker alone.
    own = _submit(_case(organisation, caseworker, "Admins Own"), first_writer)
    theirs = _submit(_case(organisation, caseworker, "Caseworkers Own"), caseworker)
    db.session.flush()

    versions = [edited, own, theirs]
    for user in (first_writer, caseworker, verifier):
        work = worklist.verifier_work(user, organisation.id)
        listed = {item.case.beneficiary_id for item in work.stories.items}
        allowed = {
            v.story.beneficiary_id
            for v in versions
            if verification.decision_refusals(v, user).send_back is None
        }
        assert listed == allowed, user.display_name
        assert work.written_by_you == len(versions) - len(allowed)
    assert {
        item.case.beneficiary_id
        for item in worklist.verifier_work(first_writer, organisation.id).stories.items
    } == {theirs.story.beneficiary_id}


# Consents running out where no caseworker looks ---------------------------------------------


def _consent(case, actor, item, days: int) -> None:
    factories.ConsentFactory(
        beneficiary=case,
        actor=actor,
        items=[item],
        audiences=[ConsentAudience.PUBLIC_PAGE],
        expires_on=date.today() + timedelta(days=days),
    )


def test_an_admin_sees_consents_expiring_on_cases_without_a_caseworker(
    client, organisation, make_user
):
    admin, caseworker = make_user("admin"), make_user("caseworker")
    nobodys = _case(organisation, None, "Nadia Nobody")
    _consent(nobodys, admin, ConsentItem.PHOTO, 12)
    _consent(nobodys, admin, ConsentItem.CITY, 90)  # not within 30 days
    assigned = _case(organisation, caseworker, "Ivan Assigned")
    _consent(assigned, caseworker, ConsentItem.PHOTO, 5)  # on the caseworker's own list
    closed = _case(organisation, None, "Closed Nobody", status="closed")
    _consent(closed, admin, ConsentItem.PHOTO, 5)
    elsewhere = factories.OrganisationFactory()
    outsider = factories.UserFactory(role="admin", organisation=elsewhere)
    _consent(_case(elsewhere, None, "Foreign Nobody"), outsider, ConsentItem.PHOTO, 5)
    db.session.commit()

    page = _dashboard(client, admin)
    section = page[page.index("Consents expiring within 30 days on cases without a caseworker") :]
    section = section[: section.index("</ul>")]
    assert (
        f"/cases/{nobodys.reference}/consent" in section and "Photo, Public appeal page" in section
    )
    assert "City" not in section
    for hidden in ("Ivan Assigned", "Closed Nobody", "Foreign Nobody"):
        assert hidden not in section
    assert "Foreign Nobody" not in page
    # Showing it names the case: recorded like every dashboard that names people.
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.personal_data_viewed")
    ).one()
    assert nobodys.id in event.details["cases"]

    # Nobody else's dashboard has the list; the caseworker's own has only their case.
    for role in ("caseworker", "verifier", "treasurer"):
        other = _dashboard(client.application.test_client(), make_user(role))
        assert "on cases without a caseworker" not in other and "Nadia Nobody" not in other
    own = _dashboard(client.application.test_client(), caseworker)
    assert "Ivan Assigned" in own


def test_the_unassigned_consents_cost_the_same_queries_for_any_caseload(organisation, make_user):
    admin = make_user("admin")

    def statements() -> int:
        with counted_statements() as seen:
            worklist.unassigned_expiring_consents(organisation.id)
        return len(seen)

    for n in range(2):
        _consent(_case(organisation, None, f"Few{n} Nobody"), admin, ConsentItem.PHOTO, 3)
    db.session.flush()
    few = statements()
    for n in range(15):
        _consent(_case(organisation, None, f"Many{n} Nobody"), admin, ConsentItem.PHOTO, 3)
    db.session.flush()
    assert statements() == few
    listed = worklist.unassigned_expiring_consents(organisation.id)
    assert listed.total == 17 and len(listed.items) == worklist.LIST_LIMIT
