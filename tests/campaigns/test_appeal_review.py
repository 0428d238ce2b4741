"""An appeal's approval names exactly what the approver read: a digest of its public texts,
budget and photo. An edit in review sends it back to draft; a stale digest is refused with the
difference; the audit log records the digest approved; the cover stays sealed until then."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select, text

from ngo.audit import AuditEvent
from ngo.campaigns import cover, review, services
from ngo.campaigns.models import AppealStatus, ReviewSnapshot
from ngo.campaigns.review import ContentChangedError
from ngo.campaigns.services import AppealError
from ngo.extensions import db
from ngo.money import Money
from tests.campaigns import appeal_fixtures
from tests.campaigns.appeal_fixtures import jpeg
from tests.campaigns.conftest import consent_to_photo
from tests.conftest import login
from tests.helpers import page_text

sample_documents_once = appeal_fixtures.sample_documents_once


def _digest_on(page: str) -> str:
    return re.search(r'name="digest"[^>]*value="([0-9a-f]{64})"', page).group(1)


def _retitle(appeal, title, actor):
    services.set_translation(
        appeal,
        "en",
        title=title,
        summary="",
        story_markdown=_story(appeal),
        display_name=next(t.display_name for t in appeal.translations if t.language == "en"),
        actor=actor,
    )


def _story(appeal) -> str:
    return next(t.story_markdown for t in appeal.translations if t.language == "en")


def test_the_digest_names_texts_budget_and_photo(appeal, alexander, staff):
    before = review.appeal_digest(appeal)
    assert before == review.appeal_digest(appeal)  # the same content, the same digest
    assert len(before) == 64
    line = appeal.budget_lines[0]
    line.amount_minor += 1
    assert review.appeal_digest(appeal) != before
    line.amount_minor -= 1
    assert review.appeal_digest(appeal) == before
    consent_to_photo(alexander, staff["caseworker"])
    cover.set_cover_photo(appeal, image_bytes=jpeg(), alt_text="A table", actor=staff["caseworker"])
    with_photo = review.appeal_digest(appeal)
    assert with_photo != before
    (image,) = review.appeal_content(appeal)["images"]
    assert image["sha256"] == cover.cover_of(appeal).sha256 and len(image["sha256"]) == 64


def test_an_edit_in_review_sends_the_appeal_back_to_draft(client, appeal, staff):
    services.submit_for_review(appeal, actor=staff["caseworker"])
    db.session.commit()
    login(client, staff["caseworker"])
    response = client.post(
        f"/staff/appeals/{appeal.slug}/lines",
        data={"label": "Winter coats", "amount": "150", "essential": "y", "priority": "5"},
    )
    assert response.status_code == 302
    page = page_text(client.get(response.headers["Location"]))
    assert "your change sent it back to draft" in page
    db.session.refresh(appeal)
    assert appeal.status == AppealStatus.DRAFT.value and appeal.submitted_by_id is None
    returned = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "appeal.returned_to_draft")
    ).one()
    assert returned.details == {"because": "edited_in_review"}
    with pytest.raises(AppealError, match="Only an appeal in review"):
        services.approve_and_publish(
            appeal, approver=staff["admin"], digest=review.appeal_digest(appeal)
        )


def test_an_editor_and_the_submitter_may_not_approve(appeal, staff, make_user):
    # The admin corrects a budget line, a verifier sends it for review: neither approves.
    services.add_budget_line(
        appeal, amount=Money(5_000, "EUR"), label="Bus tickets", language="en", actor=staff["admin"]
    )
    digest = services.submit_for_review(appeal, actor=staff["verifier"])
    for person, reason in (
        (staff["caseworker"], "You are its author"),
        (staff["admin"], "You changed it since it was last approved"),
        (staff["verifier"], "You sent it for review"),
    ):
        assert reason in services.approval_refusal(appeal, person)
        with pytest.raises(AppealError, match=reason):
            services.approve_and_publish(appeal, approver=person, digest=digest)
    other = make_user("admin")
    services.approve_and_publish(appeal, approver=other, digest=digest)
    assert appeal.status == AppealStatus.PUBLISHED.value
    assert appeal.editor_ids == []  # the next approval starts counting again


def test_a_stale_digest_is_refused_with_the_difference(client, browser, appeal, staff):
    services.submit_for_review(appeal, actor=staff["caseworker"])
    db.session.commit()
    admin = browser()
    login(admin, staff["admin"])
    seen = _digest_on(page_text(admin.get(f"/staff/appeals/{appeal.slug}/review")))
    assert db.session.scalar(select(func.count(ReviewSnapshot.id))) == 1  # the GET wrote none

    # Meanwhile: a new title and a bigger rent line, then it is sent again.
    _retitle(appeal, "Help for a family from Belarus", staff["caseworker"])
    rent = appeal.budget_lines[0]
    services.remove_budget_line(rent, actor=staff["caseworker"])
    services.add_budget_line(
        appeal,
        amount=Money(250_000, "EUR"),
        label="Rent",
        language="en",
        actor=staff["caseworker"],
    )
    services.submit_for_review(appeal, actor=staff["caseworker"])
    db.session.commit()

    response = admin.post(f"/staff/appeals/{appeal.slug}/approve", data={"digest": seen})
    assert response.status_code == 409
    page = page_text(response)
    assert "The appeal changed since you opened it." in page
    assert "<ins>Belarus</ins>" in page
    assert "Budget line removed: Rent for three months and deposit" in page
    assert "Budget line added: Rent" in page and "€2,500.00" in page
    db.session.refresh(appeal)
    assert appeal.status == AppealStatus.IN_REVIEW.value
    # Read, then approved as shown.
    response = admin.post(
        f"/staff/appeals/{appeal.slug}/approve", data={"digest": _digest_on(page)}
    )
    assert response.status_code == 302
    db.session.refresh(appeal)
    assert appeal.status == AppealStatus.PUBLISHED.value


def test_the_service_says_what_changed(appeal, staff):
    seen = services.submit_for_review(appeal, actor=staff["caseworker"])
    _retitle(appeal, "A new title", staff["caseworker"])
    services.submit_for_review(appeal, actor=staff["caseworker"])
    with pytest.raises(ContentChangedError) as refused:
        services.approve_and_publish(appeal, approver=staff["admin"], digest=seen)
    assert [c.label for c in refused.value.changes] == ["English: title"]
    assert refused.value.digest == review.appeal_digest(appeal)
    # A digest never sent for review is not on record: refused, without a difference.
    with pytest.raises(ContentChangedError) as unknown:
        services.approve_and_publish(appeal, approver=staff["admin"], digest="0" * 64)
    assert unknown.value.changes is None


def test_the_audit_log_records_the_digest_approved(appeal, staff):
    digest = services.submit_for_review(appeal, actor=staff["caseworker"])
    services.approve_and_publish(appeal, approver=staff["admin"], digest=digest)
    db.session.commit()
    submitted, published = (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).one()
        for action in ("appeal.submitted", "appeal.published")
    )
    assert submitted.details == {"digest": digest}
    assert published.details == {"digest": digest}
    assert appeal.approved_digest == digest
    snapshot = db.session.scalars(
        select(ReviewSnapshot).where(ReviewSnapshot.digest == digest)
    ).first()
    raw = db.session.execute(
        text("SELECT content FROM review_snapshots WHERE id = :id"), {"id": snapshot.id}
    ).scalar_one()
    title = appeal.translations[0].title
    assert title in json.loads(snapshot.content)[1]["texts"]["en"]["title"]
    assert title.encode() not in bytes(raw)  # kept like a draft: encrypted


def test_the_review_page_writes_nothing(client, appeal, staff):
    services.submit_for_review(appeal, actor=staff["caseworker"])
    db.session.commit()
    login(client, staff["admin"])
    counts = (
        db.session.scalar(select(func.count(AuditEvent.id))),
        db.session.scalar(select(func.count(ReviewSnapshot.id))),
    )
    assert client.get(f"/staff/appeals/{appeal.slug}/review").status_code == 200
    assert client.get("/staff/appeals/reviews").status_code == 200
    assert counts == (
        db.session.scalar(select(func.count(AuditEvent.id))),
        db.session.scalar(select(func.count(ReviewSnapshot.id))),
    )
