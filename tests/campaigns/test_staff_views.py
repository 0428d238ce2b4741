"""Staff pages of appeals: real flows through the client, signed in as each role."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ngo.audit import AuditEvent
from ngo.campaigns import review
from ngo.campaigns.models import Appeal, AppealStatus, BudgetLine
from ngo.demo.cases import STORY_TITLE
from ngo.extensions import db
from tests import factories
from tests.conftest import login
from tests.helpers import page_text

SEED_LINES = [
    ("Rent for three months and deposit", "2100"),
    ("Basic necessities, clothes and shoes for all in season", "1000"),
    ("Food, household expenses, school supplies", "700"),
    ("Retraining and the code 95 exam", "600"),
]
POLISH_TITLE = "Pomoc dla rodziny Kavaliou"


@pytest.fixture
def staff(organisation, make_user):
    """The seed needs a caseworker and a verifier in the organisation."""
    return {"caseworker": make_user("caseworker"), "verifier": make_user("verifier")}


@pytest.fixture
def alexander(app, organisation, staff):
    return factories.seed_case(organisation, staff["caseworker"], staff["verifier"])


def _create(client, case, title=STORY_TITLE, **data):
    form = {"currency": "EUR", "language": "en", "title": title, **data}
    return client.post(f"/staff/appeals/new/{case.reference}", data=form)


def review_digest(client, slug) -> str:
    """The digest the review page's approve form carries (what the approver reads)."""
    page = page_text(client.get(f"/staff/appeals/{slug}/review"))
    return re.search(r'name="digest"[^>]*value="([0-9a-f]{64})"', page).group(1)


def _only_appeal() -> Appeal:
    db.session.expire_all()
    return db.session.scalars(select(Appeal)).one()


def _add_lines(client, slug):
    for label, amount in SEED_LINES:
        response = client.post(
            f"/staff/appeals/{slug}/lines",
            data={
                "label": label,
                "amount": amount,
                "essential": "y" if amount != "600" else "",
                "priority": "1",
            },
        )
        assert response.status_code == 302, page_text(response)[:2000]


@pytest.fixture
def drafted(client, alexander, staff):
    """An appeal drafted by a caseworker, with the four seed budget lines."""
    login(client, staff["caseworker"])
    response = _create(client, alexander)
    assert response.status_code == 302, page_text(response)[:2000]
    appeal = _only_appeal()
    assert response.headers["Location"].endswith(f"/staff/appeals/{appeal.slug}")
    _add_lines(client, appeal.slug)
    return appeal


def test_create_from_the_case_and_budget_gives_the_goal(client, drafted, alexander):
    page = page_text(client.get(f"/staff/appeals/{drafted.slug}"))
    assert "€4,400" in page
    assert "€3,800" in page  # essential part: everything but the retraining line
    assert "Rent for three months and deposit" in page
    assert "No problems found." in page
    assert "Mogilev prison" in page  # the story was copied from the verified version

    listing = client.get("/staff/appeals/")
    assert listing.status_code == 200
    assert STORY_TITLE in page_text(listing)
    assert "€4,400" in page_text(listing)
    assert f"/cases/{alexander.reference}" in page_text(listing)

    profile = page_text(client.get(f"/cases/{alexander.reference}"))
    assert f"/staff/appeals/?case={alexander.reference}" in profile
    of_person = page_text(client.get(f"/staff/appeals/?case={alexander.reference}"))
    assert STORY_TITLE in of_person
    assert f"/staff/appeals/new/{alexander.reference}" in of_person


def test_create_form_errors_are_400(client, alexander, make_user):
    login(client, make_user("caseworker"))
    assert client.get(f"/staff/appeals/new/{alexander.reference}").status_code == 200
    response = _create(client, alexander, title="")
    assert response.status_code == 400
    assert "Give the appeal a title." in page_text(response)
    assert _create(client, alexander, currency="XXX").status_code == 400
    assert db.session.scalars(select(Appeal)).first() is None


def test_a_case_without_verified_story_gives_a_form_error(client, organisation, make_user):
    case = factories.BeneficiaryFactory(organisation=organisation)
    login(client, make_user("caseworker"))
    response = _create(client, case)
    assert response.status_code == 400
    assert "must be verified" in page_text(response)


def test_a_bad_amount_is_a_form_error_and_no_line(client, drafted):
    response = client.post(
        f"/staff/appeals/{drafted.slug}/lines",
        data={"label": "Bus tickets", "amount": "12,5,0", "essential": "y", "priority": "1"},
    )
    assert response.status_code == 400
    page = page_text(response)
    assert "Type the amount in digits" in page
    assert 'aria-invalid="true"' in page
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count(BudgetLine.id))) == 4


def test_an_ambiguous_amount_gets_its_own_message(client, drafted):
    response = client.post(
        f"/staff/appeals/{drafted.slug}/lines",
        data={"label": "Bus tickets", "amount": "2,100", "priority": "1"},
    )
    assert response.status_code == 400
    assert "could be read two ways" in page_text(response)


def test_removing_a_line_changes_the_goal(client, drafted):
    line = db.session.scalars(
        select(BudgetLine).where(
            BudgetLine.amount_minor == 60_000, BudgetLine.appeal_id == drafted.id
        )
    ).one()
    response = client.post(f"/staff/appeals/{drafted.slug}/lines/{line.id}/remove")
    assert response.status_code == 302
    assert "€3,800" in page_text(client.get(f"/staff/appeals/{drafted.slug}"))
    assert client.post(f"/staff/appeals/{drafted.slug}/lines/999999/remove").status_code == 404


def test_a_surname_in_a_polish_title_is_shown_marked(client, drafted):
    response = client.post(
        f"/staff/appeals/{drafted.slug}/translation",
        data={"language": "pl", "title": POLISH_TITLE, "summary": "", "story_markdown": ""},
    )
    assert response.status_code == 302, page_text(response)[:2000]
    page = page_text(client.get(f"/staff/appeals/{drafted.slug}"))
    assert "Private information found in public text." in page
    assert "pl:title" in page
    assert "<mark>Kavaliou</mark>" in page

    # Submitting is allowed; approving is not, while the finding stands.
    assert client.post(f"/staff/appeals/{drafted.slug}/submit").status_code == 302
    assert _only_appeal().status == AppealStatus.IN_REVIEW.value


def test_highlight_escapes_everything():
    from ngo.campaigns.views import highlight

    html = str(highlight("<b>x</b> [[<i>Kav</i>]] & more [[two]]"))
    assert html == (
        "&lt;b&gt;x&lt;/b&gt; <mark>&lt;i&gt;Kav&lt;/i&gt;</mark> &amp; more <mark>two</mark>"
    )


def test_four_eyes_creator_cannot_approve_an_admin_can(client, browser, drafted, make_user):
    assert client.post(f"/staff/appeals/{drafted.slug}/submit").status_code == 302
    # The caseworker who drafted it may not approve at all.
    assert client.post(f"/staff/appeals/{drafted.slug}/approve").status_code == 403
    assert _only_appeal().status == AppealStatus.IN_REVIEW.value

    admin_client = browser()
    login(admin_client, make_user("admin"))
    page = page_text(admin_client.get(f"/staff/appeals/{drafted.slug}"))
    assert "Review and approve" in page
    page = page_text(admin_client.get(f"/staff/appeals/{drafted.slug}/review"))
    assert "Approve and publish" in page and "disabled" not in page
    digest = review_digest(admin_client, drafted.slug)
    response = admin_client.post(f"/staff/appeals/{drafted.slug}/approve", data={"digest": digest})
    assert response.status_code == 302, page_text(response)[:2000]
    assert _only_appeal().status == AppealStatus.PUBLISHED.value

    # And back to draft, by the approver.
    assert admin_client.post(f"/staff/appeals/{drafted.slug}/return").status_code == 302
    assert _only_appeal().status == AppealStatus.DRAFT.value


def test_an_admin_who_drafted_it_cannot_approve_it(client, browser, alexander, make_user):
    login(client, make_user("admin"))
    assert _create(client, alexander).status_code == 302
    slug = _only_appeal().slug
    _add_lines(client, slug)
    assert client.post(f"/staff/appeals/{slug}/submit").status_code == 302
    reason = "You are its author: a second person has to approve it."
    assert reason in page_text(client.get(f"/staff/appeals/{slug}"))
    page = page_text(client.get(f"/staff/appeals/{slug}/review"))
    assert "disabled" in page and reason in page
    assert 'name="digest"' not in page  # no form to send, only the reason
    digest = review.appeal_digest(_only_appeal())
    response = client.post(f"/staff/appeals/{slug}/approve", data={"digest": digest})
    assert response.status_code == 400
    assert reason in page_text(response)
    assert _only_appeal().status == AppealStatus.IN_REVIEW.value

    verifier_client = browser()
    login(verifier_client, make_user("verifier"))
    digest = review_digest(verifier_client, slug)
    response = verifier_client.post(f"/staff/appeals/{slug}/approve", data={"digest": digest})
    assert response.status_code == 302
    assert _only_appeal().status == AppealStatus.PUBLISHED.value


def test_a_finding_blocks_approval(client, browser, drafted, make_user):
    client.post(
        f"/staff/appeals/{drafted.slug}/translation",
        data={"language": "pl", "title": POLISH_TITLE},
    )
    client.post(f"/staff/appeals/{drafted.slug}/submit")
    admin_client = browser()
    login(admin_client, make_user("admin"))
    page = page_text(admin_client.get(f"/staff/appeals/{drafted.slug}"))
    assert "until every problem is solved" in page
    digest = review.appeal_digest(_only_appeal())
    response = admin_client.post(f"/staff/appeals/{drafted.slug}/approve", data={"digest": digest})
    assert response.status_code == 400
    assert "until every problem is solved" in page_text(response)
    assert _only_appeal().status == AppealStatus.IN_REVIEW.value


def test_another_organisation_gets_404(client, browser, drafted, alexander):
    stranger = factories.UserFactory(
        role="caseworker", organisation=factories.OrganisationFactory()
    )
    other = browser()
    login(other, stranger)
    slug = drafted.slug
    assert other.get(f"/staff/appeals/{slug}").status_code == 404
    assert other.post(f"/staff/appeals/{slug}/submit").status_code == 404
    assert (
        other.post(f"/staff/appeals/{slug}/lines", data={"label": "x", "amount": "10"}).status_code
        == 404
    )
    assert _create(other, alexander).status_code == 404
    assert other.get(f"/staff/appeals/?case={alexander.reference}").status_code == 404
    listing = page_text(other.get("/staff/appeals/"))
    assert STORY_TITLE not in listing


def test_treasurer_gets_403(client, browser, drafted, alexander, make_user):
    treasurer = browser()
    login(treasurer, make_user("treasurer"))
    assert treasurer.get("/staff/appeals/").status_code == 403
    assert treasurer.get(f"/staff/appeals/{drafted.slug}").status_code == 403
    assert treasurer.post(f"/staff/appeals/{drafted.slug}/approve").status_code == 403
    assert _create(treasurer, alexander).status_code == 403


def test_a_verifier_cannot_edit(client, browser, drafted, make_user):
    verifier = browser()
    login(verifier, make_user("verifier"))
    assert verifier.get(f"/staff/appeals/{drafted.slug}").status_code == 200
    response = verifier.post(
        f"/staff/appeals/{drafted.slug}/lines", data={"label": "x", "amount": "10"}
    )
    assert response.status_code == 403
    assert verifier.post(f"/staff/appeals/{drafted.slug}/submit").status_code == 403


def test_audit_events_carry_no_titles_or_private_values(client, drafted):
    client.post(
        f"/staff/appeals/{drafted.slug}/translation",
        data={"language": "pl", "title": POLISH_TITLE},
    )
    client.get(f"/staff/appeals/{drafted.slug}")
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    actions = {e.action for e in events}
    assert {"appeal.created", "appeal.text_changed", "appeal.budget_line_added"} <= actions
    assert "case.personal_data_viewed" in actions  # the finding's context was shown
    dumped = json.dumps([[e.action, e.object_id, e.details] for e in events], ensure_ascii=False)
    for secret in (STORY_TITLE, POLISH_TITLE, "Kavaliou", "Rent for three months"):
        assert secret not in dumped


def test_details_are_edited_on_the_appeal_page(client, drafted):
    deadline = (date.today() + timedelta(days=40)).isoformat()
    response = client.post(
        f"/staff/appeals/{drafted.slug}/details",
        data={
            "categories": ["families", "relocation"],
            "country": "PL",
            "deadline": deadline,
            "update_interval_days": "30",
        },
    )
    assert response.status_code == 302
    page = page_text(client.get(f"/staff/appeals/{drafted.slug}"))
    assert "Families, Relocation" in page and "Poland" in page and "30 days" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"country": "ZZ", "update_interval_days": "60"}, "Not a valid choice"),
        ({"country": "EU", "update_interval_days": "60"}, "Not a valid choice"),
        ({"update_interval_days": "3"}, "Promise an update every 7 to 365 days."),
        ({"update_interval_days": "60", "deadline": "2001-01-01"}, "after today"),
        ({"update_interval_days": "60", "categories": ["pirates"]}, "Choose categories"),
    ],
)
def test_bad_details_are_form_errors(client, drafted, data, message):
    response = client.post(f"/staff/appeals/{drafted.slug}/details", data={"country": "", **data})
    assert response.status_code == 400
    assert message in page_text(response)
    db.session.refresh(drafted)
    assert drafted.categories == "" and drafted.update_interval_days == 60


def test_a_budget_label_is_added_in_polish(client, drafted):
    line = drafted.budget_lines[0]
    prefix = f"line{line.id}-"
    response = client.post(
        f"/staff/appeals/{drafted.slug}/lines/{line.id}/text",
        data={prefix + "language": "pl", prefix + "label": "Czynsz i kaucja"},
    )
    assert response.status_code == 302
    assert "Czynsz i kaucja" in page_text(client.get(f"/staff/appeals/{drafted.slug}"))
    empty = client.post(
        f"/staff/appeals/{drafted.slug}/lines/{line.id}/text",
        data={prefix + "language": "pl", prefix + "label": ""},
    )
    assert empty.status_code == 400 and "Say what the money is for." in page_text(empty)
    assert client.post(f"/staff/appeals/{drafted.slug}/lines/999999/text").status_code == 404


def test_a_verifier_may_not_edit_details(client, drafted, staff):
    client.post("/logout")
    login(client, staff["verifier"])
    response = client.post(
        f"/staff/appeals/{drafted.slug}/details", data={"update_interval_days": "30"}
    )
    assert response.status_code == 403
