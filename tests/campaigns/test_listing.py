"""The stored listing follows the publication gate, and the browse layer reads only it."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ngo.campaigns import services, visibility
from ngo.campaigns.models import Appeal, AppealSearchDocument
from ngo.cases import consent, verification
from ngo.cases.models import Consent, Verification
from ngo.extensions import db
from ngo.money import Money
from ngo.public import browse
from ngo.timeutil import utcnow
from tests import factories
from tests.campaigns.conftest import publish as _publish


def _listed_ids() -> list[int]:
    return [a.id for a in browse.cursor_page(browse.Filters(), None, 100)[0]]


def test_publishing_lists_the_appeal_and_indexes_its_text(appeal, staff):
    assert not appeal.listed
    _publish(appeal, staff)
    assert appeal.listed and visibility.is_listed(appeal)
    assert _listed_ids() == [appeal.id]
    document = db.session.get(AppealSearchDocument, appeal.id).document
    assert "rent" in document.split()  # budget labels are searchable too


def test_goal_and_essential_part_are_stored_with_the_lines(appeal, staff):
    assert (appeal.goal_minor, appeal.essential_minor) == (440_000, 380_000)
    line = appeal.budget_lines[-1]
    services.remove_budget_line(line, actor=staff["caseworker"])
    assert appeal.goal_minor == 440_000 - line.amount_minor


def test_withdrawn_consent_unlists_in_the_same_commit(appeal, alexander, staff):
    _publish(appeal, staff)
    story_consent = db.session.scalars(
        select(Consent).where(Consent.beneficiary_id == alexander.id, Consent.item == "story")
    ).first()
    consent.withdraw_consent(story_consent, actor=staff["caseworker"])
    db.session.commit()
    assert not appeal.listed
    assert _listed_ids() == []
    assert db.session.get(AppealSearchDocument, appeal.id) is None


def test_listing_ends_when_the_verification_runs_out_without_any_job(appeal, staff):
    _publish(appeal, staff)
    assert appeal.listed_until is not None
    later = appeal.listed_until + timedelta(seconds=1)
    assert visibility.is_listed(appeal, utcnow())
    assert not visibility.is_listed(appeal, later)
    shown = select(Appeal.id).where(Appeal.id == appeal.id, visibility.publicly_listed(later))
    assert db.session.scalar(shown) is None


def test_an_expiring_consent_bounds_the_listing(appeal, alexander, staff):
    _publish(appeal, staff)
    story_consent = db.session.scalars(
        select(Consent).where(Consent.beneficiary_id == alexander.id, Consent.item == "story")
    ).first()
    story_consent.expires_on = date.today() + timedelta(days=3)
    db.session.commit()
    assert appeal.listed_until.date() == date.today() + timedelta(days=4)


def test_expired_verification_unlists_on_commit(appeal, staff):
    _publish(appeal, staff)
    for approval in db.session.scalars(select(Verification)):
        approval.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert not appeal.listed


def test_money_counters_alone_do_not_rerun_the_gate(appeal, staff, monkeypatch):
    _publish(appeal, staff)
    calls = []
    monkeypatch.setattr(visibility, "refresh_public_state", lambda a: calls.append(a))
    appeal.raised_minor = 5_000
    db.session.commit()
    assert calls == []
    appeal.country = "PL"
    db.session.commit()
    assert calls == [appeal]


def test_a_new_private_value_unlists_an_appeal_that_now_leaks(appeal, alexander, staff):
    services.set_translation(
        appeal,
        "en",
        title="Call the family on +48 600 111 222",
        summary="",
        story_markdown="",
        display_name="",
        actor=staff["caseworker"],
    )
    db.session.commit()
    _publish(appeal, staff)
    assert appeal.listed
    alexander.phone = "+48 600-111-222"  # the number turns out to be the person's own
    db.session.commit()
    assert not appeal.listed
    assert [p.finding.field for p in services.publication_problems(appeal) if p.finding] == [
        "en:title"
    ]


# Every kind of change to the case an appeal relies on reaches the listing in the commit that
# makes it (the cases domain announces it through ngo.signals; campaigns recomputes).


def test_a_household_change_reruns_the_gate_in_the_same_commit(
    appeal, alexander, staff, monkeypatch
):
    # The seed case consents to family details, so no household name leaks: what matters
    # here is that the gate runs again (a leaking name is then caught as any private value).
    from ngo.cases import services as cases

    _publish(appeal, staff)
    calls = []
    monkeypatch.setattr(visibility, "refresh_public_state", lambda a: calls.append(a))
    member = cases.add_household_member(
        alexander, relationship="son", first_name="Wojciech", age=9, actor=staff["caseworker"]
    )
    db.session.commit()
    assert calls == [appeal]
    cases.remove_household_member(member, actor=staff["caseworker"])
    db.session.commit()
    assert calls == [appeal, appeal]


def test_a_newer_verified_version_unlists_the_appeal_of_the_old_one(appeal, alexander, staff):
    from ngo.cases import stories
    from ngo.cases.models import CheckKind, EvidenceItem

    _publish(appeal, staff)
    assert appeal.listed
    story = stories.story_of(alexander)
    version = stories.request_reverification(story, actor=staff["caseworker"])
    db.session.commit()
    assert appeal.listed  # the old approval counts until the new one is decided
    proof = db.session.scalars(
        select(EvidenceItem).where(EvidenceItem.beneficiary_id == alexander.id)
    ).first()
    verification.verify_version(
        version,
        verifier=staff["verifier"],
        approved=True,
        checks=[verification.CheckResult(kind, True, proof.id, None) for kind in CheckKind],
        comments="Checked again.",
    )
    db.session.commit()
    assert not appeal.listed  # the appeal shows the old text: it must be approved again
    assert _listed_ids() == []


def test_a_consent_recorded_again_lists_the_appeal_in_the_same_commit(appeal, alexander, staff):
    from ngo.cases.models import ConsentAudience, ConsentItem

    _publish(appeal, staff)
    withdrawn = db.session.scalars(
        select(Consent).where(Consent.beneficiary_id == alexander.id, Consent.item == "story")
    ).first()
    consent.withdraw_consent(withdrawn, actor=staff["caseworker"])
    db.session.commit()
    assert not appeal.listed
    factories.ConsentFactory(
        beneficiary=alexander,
        actor=staff["caseworker"],
        items=[ConsentItem(withdrawn.item)],
        audiences=[ConsentAudience.PUBLIC_PAGE],
        given_on=date.today(),
    )
    db.session.commit()
    assert appeal.listed
    assert _listed_ids() == [appeal.id]


def test_erasure_unlists_the_appeal_in_the_same_commit(appeal, alexander, staff):
    from ngo.cases.rights import erase_case

    _publish(appeal, staff)
    erase_case(alexander, actor=staff["admin"], reason_code="person_asked")
    db.session.commit()
    assert not appeal.listed
    assert _listed_ids() == []
    assert db.session.get(AppealSearchDocument, appeal.id) is None


def test_a_rolled_back_withdrawal_leaves_the_listing_as_it_was(appeal, alexander, staff):
    _publish(appeal, staff)
    story_consent = db.session.scalars(
        select(Consent).where(Consent.beneficiary_id == alexander.id, Consent.item == "story")
    ).first()
    consent.withdraw_consent(story_consent, actor=staff["caseworker"])
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    db.session.refresh(appeal)
    assert appeal.listed
    assert _listed_ids() == [appeal.id]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"category": "pirates"}, "category"),
        ({"country": "XX1"}, "country"),
        ({"country": "QQ"}, "country"),
        ({"language": "de"}, "language"),
        ({"status": "draft"}, "status"),
        ({"band": "99-100"}, "band"),
        ({"sort": "random"}, "sort"),
        ({"q": "***"}, "q"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_unknown_filter_values_are_refused_with_the_field(app, args, field):
    with pytest.raises(browse.BrowseError) as refused:
        browse.parse_filters(args)
    assert refused.value.field == field and refused.value.message


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "99999999999", "1.5", " 1"])
def test_page_numbers_must_be_whole_and_in_range(app, raw):
    with pytest.raises(browse.BrowseError):
        browse.parse_positive_int(raw, "page", default=1, maximum=browse.MAX_PAGE)


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b'["newest", "x", "1"]').decode(),
        base64.urlsafe_b64encode(b'["closest", 10, 1]').decode(),
        base64.urlsafe_b64encode(b'["newest", "2026-01-01T00:00:00", true]').decode(),
        "A" * 300,
    ],
)
def test_malformed_cursors_are_refused(app, cursor):
    with pytest.raises(browse.BrowseError) as refused:
        browse.cursor_page(browse.Filters(), cursor, 10)
    assert refused.value.field == "cursor"


def test_search_folds_cyrillic_and_polish_onto_one_spelling(appeal, staff):
    services.set_translation(
        appeal,
        "pl",
        # Not the seed person's Białystok: the safety check finds "Białegostoku" now.
        title="Rodzina z Łomży, teraz w Mińsku",
        summary="Pomoc dla rodziny",
        story_markdown="",
        display_name="",
        actor=staff["caseworker"],
    )
    db.session.commit()
    _publish(appeal, staff)
    for query in ["Мінску", "minsku", "MIŃSKU", "lomz", "Łomż", "rodzina"]:
        filters = browse.parse_filters({"q": query})
        assert browse.list_page(filters, 1, "en").total == 1, query
    for query in ['"; DROP TABLE appeals; --', "NEAR(rent", "rent OR *", "code 95"]:
        filters = browse.parse_filters({"q": query})
        browse.list_page(filters, 1, "en")  # treated as words, never as syntax
    assert browse.list_page(browse.parse_filters({"q": "nonexistentword"}), 1, "en").total == 0


def test_funding_band_and_sort_use_the_stored_counters(appeal, staff):
    _publish(appeal, staff)
    appeal.raised_minor = 23_100  # 5.25 %
    db.session.commit()
    assert browse.list_page(browse.parse_filters({"band": "0-25"}), 1, "en").total == 1
    assert browse.list_page(browse.parse_filters({"band": "25-50"}), 1, "en").total == 0
    card = browse.list_page(browse.Filters(), 1, "en").cards[0]
    assert (card.raised, card.goal, card.percent) == (
        Money(23_100, "EUR"),
        Money(440_000, "EUR"),
        5,
    )


def test_the_beat_task_tidies_expired_and_missing_listings(appeal, staff):
    _publish(appeal, staff)
    appeal.listed_until = utcnow() - timedelta(minutes=1)  # as if the verification ran out
    db.session.commit()
    # The hook saw only listing fields change, so the flag is stale until the task runs.
    assert appeal.listed
    assert visibility.reconcile_listings_task() == 1
    db.session.expire_all()  # the task ran in its own app context and session
    assert appeal.listed  # the verification is in fact still valid: listed again, new end
    assert appeal.listed_until > utcnow()
    db.session.execute(Appeal.__table__.update().where(Appeal.id == appeal.id).values(listed=False))
    db.session.commit()
    db.session.expire_all()
    assert visibility.reconcile_listings_task() == 1
    assert db.session.get(Appeal, appeal.id).listed


def test_the_worker_schedules_the_reconciliation(app):
    from worker.beat import beat_schedule

    tasks = {entry["task"] for entry in beat_schedule(app.config).values()}
    assert "campaigns.reconcile_listings" in tasks
