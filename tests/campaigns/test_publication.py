"""Appeals: drafting from a verified story, budgets, and the publication gate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ngo.campaigns import services, updates
from ngo.campaigns.models import AppealStatus, PublicImage, ReviewSnapshot
from ngo.campaigns.services import AppealError
from ngo.cases import consent
from ngo.cases.models import Consent, Verification
from ngo.demo.cases import STORY_TITLE
from ngo.extensions import db
from ngo.money import Money
from ngo.timeutil import utcnow
from tests import factories
from tests.campaigns.appeal_fixtures import jpeg


def _publish(appeal, staff):
    digest = services.submit_for_review(appeal, actor=staff["caseworker"])
    services.approve_and_publish(appeal, approver=staff["admin"], digest=digest)
    db.session.commit()


def test_four_eyes_and_a_clean_gate_publish(appeal, staff):
    assert services.publication_problems(appeal) == []
    digest = services.submit_for_review(appeal, actor=staff["caseworker"])
    with pytest.raises(AppealError, match="You are its author"):
        services.approve_and_publish(appeal, approver=staff["caseworker"], digest=digest)
    services.approve_and_publish(appeal, approver=staff["admin"], digest=digest)
    assert appeal.status == AppealStatus.PUBLISHED.value
    assert services.is_publicly_visible(appeal)


def test_a_surname_in_the_title_blocks_publication(appeal, staff):
    services.set_translation(
        appeal,
        "pl",
        title="Pomoc dla rodziny Kavaliou",
        summary="",
        story_markdown="",
        display_name="",
        actor=staff["caseworker"],
    )
    problems = services.publication_problems(appeal)
    assert [p.finding.field for p in problems if p.finding] == ["pl:title"]
    digest = services.submit_for_review(appeal, actor=staff["caseworker"])
    with pytest.raises(AppealError, match="every problem"):
        services.approve_and_publish(appeal, approver=staff["admin"], digest=digest)


def test_consent_withdrawal_takes_the_appeal_down_at_once(appeal, alexander, staff):
    _publish(appeal, staff)
    story_consent = db.session.scalars(
        select(Consent).where(
            Consent.beneficiary_id == alexander.id,
            Consent.item == "story",
            Consent.audience == "public_page",
        )
    ).one()
    consent.withdraw_consent(story_consent, actor=staff["caseworker"])
    db.session.commit()
    assert not services.is_publicly_visible(appeal)
    assert any(
        "agreed to publish the story" in p.message for p in services.publication_problems(appeal)
    )


def test_expired_verification_takes_the_appeal_down(appeal, alexander, staff):
    _publish(appeal, staff)
    for verification in db.session.scalars(select(Verification)):
        verification.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert not services.is_publicly_visible(appeal)


def test_a_published_appeal_is_not_edited_in_place(appeal, staff):
    _publish(appeal, staff)
    with pytest.raises(AppealError, match="withdraw it first"):
        services.add_budget_line(
            appeal, amount=Money(100, "EUR"), label="x", language="en", actor=staff["caseworker"]
        )


def test_slugs_say_nothing_about_the_person(appeal):
    assert "alex" not in appeal.slug.lower()
    assert len(appeal.slug) >= 10


def test_erasure_wipes_the_public_copy_and_keeps_the_budget(appeal, alexander, staff):
    from ngo.cases.rights import erase_case

    _publish(appeal, staff)
    # An update returned with a reason, and one awaiting review with a sealed photo.
    returned = updates.draft_update(
        appeal, language="en", title="News", body_markdown="", actor=staff["caseworker"]
    )
    updates.submit_update(returned, actor=staff["caseworker"])
    updates.return_update(returned, reason="Not the school's name", actor=staff["admin"])
    pending = updates.draft_update(
        appeal,
        language="en",
        title="More news",
        body_markdown="",
        image_bytes=jpeg(),
        alt_text="A table",
        actor=staff["caseworker"],
    )
    updates.submit_update(pending, actor=staff["caseworker"])
    db.session.commit()
    erase_case(alexander, actor=staff["admin"], reason_code="person_asked")
    db.session.commit()
    db.session.refresh(appeal)
    assert appeal.status == AppealStatus.ARCHIVED.value
    assert all(t.story_markdown == "" and t.title == "—" for t in appeal.translations)
    for model in (ReviewSnapshot, PublicImage):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    db.session.refresh(returned)
    assert returned.return_reason is None and returned.title == "—"
    assert services.totals(appeal).goal == Money(440_000, "EUR")
    assert not services.is_publicly_visible(appeal)


def test_the_app_registers_the_appeal_erasure_step(app):
    from ngo import signals

    receivers = [ref() for ref in signals.case_erased.receivers.values()]
    assert services.erase_public_copies in receivers


def test_demo_seed_publishes_the_seed_appeal(app):
    from ngo.campaigns.models import Appeal, AppealTranslation
    from ngo.demo import seed_demo
    from ngo.demo.appeals import seed_appeal

    seed_demo()
    db.session.commit()
    appeal = db.session.scalars(
        select(Appeal).join(AppealTranslation).where(AppealTranslation.title == STORY_TITLE)
    ).one()
    assert appeal.status == AppealStatus.PUBLISHED.value
    totals = services.totals(appeal)
    assert (totals.raised, totals.goal) == (Money(23_100, "EUR"), Money(440_000, "EUR"))
    assert services.is_publicly_visible(appeal)
    organisation = db.session.get(factories.Organisation, appeal.organisation_id)
    assert seed_appeal(organisation) is None  # idempotent
