"""Four eyes on updates: a draft by one person is public nowhere (page, feed, API, followers'
e-mail) until a second person approves exactly what they read; urgency never skips that."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from ngo.audit import AuditEvent
from ngo.campaigns import review, subscriptions, updates
from ngo.campaigns.models import AppealUpdate, PublicImage, ReviewSnapshot
from ngo.campaigns.notifications import UPDATE_EMAIL
from ngo.campaigns.review import ContentChangedError
from ngo.campaigns.services import AppealError
from ngo.extensions import db
from ngo.outbox import OutboxMessage
from tests.campaigns import appeal_fixtures
from tests.campaigns.appeal_fixtures import jpeg
from tests.conftest import login, sent_mail
from tests.helpers import page_text

alexander, published, sample_documents_once, staff = (
    appeal_fixtures.alexander,
    appeal_fixtures.published,
    appeal_fixtures.sample_documents_once,
    appeal_fixtures.staff,
)

TITLE = "The children started school"
BODY = "Both children started school in September. Thank you for the books."
REASON = "Say which school year, not which school: the name tells where they live."


def draft(appeal, actor, **values):
    fields = {"language": "en", "title": TITLE, "body_markdown": BODY, **values}
    return updates.draft_update(appeal, actor=actor, **fields)


def _public_everywhere(client, appeal) -> dict[str, bool]:
    """Where the update's title can be read without signing in."""
    return {
        "page": TITLE in page_text(client.get(f"/appeals/{appeal.slug}")),
        "feed": TITLE in page_text(client.get("/feeds/appeals.atom")),
        "api": TITLE in json.dumps(client.get(f"/api/v1/appeals/{appeal.slug}").get_json()),
    }


def _update_mails(app) -> list:
    return [m for m in sent_mail(app) if TITLE in str(m["Subject"])]


def _outbox_updates() -> int:
    return db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == UPDATE_EMAIL)
    )


def _digest_on(page: str) -> str:
    return re.search(r'name="digest"[^>]*value="([0-9a-f]{64})"', page).group(1)


def test_one_persons_update_is_public_nowhere_until_a_second_approves(
    app, client, published, staff
):
    follower = subscriptions.subscribe(published, "reader@example.org", "en")
    db.session.commit()
    subscriptions.confirm_subscription(follower.token)
    db.session.commit()

    update = draft(published, staff["caseworker"])
    db.session.commit()
    assert _public_everywhere(client, published) == {"page": False, "feed": False, "api": False}
    digest = updates.submit_update(update, actor=staff["caseworker"])
    db.session.commit()
    assert _public_everywhere(client, published) == {"page": False, "feed": False, "api": False}
    assert _outbox_updates() == 0 and _update_mails(app) == []
    assert published.last_update_at is None

    updates.approve_update(update, approver=staff["admin"], digest=digest)
    assert _outbox_updates() == 1  # written in the approval's own transaction
    db.session.commit()
    assert _public_everywhere(client, published) == {"page": True, "feed": True, "api": True}
    assert [m["To"] for m in _update_mails(app)] == ["reader@example.org"]
    assert published.last_update_at == update.posted_at
    assert (update.state, update.approved_by_id) == ("published", staff["admin"].id)


def test_the_author_the_submitter_and_an_editor_may_not_approve(published, staff, make_user):
    colleague = make_user("caseworker")
    update = draft(published, staff["caseworker"])
    # A colleague corrects it, and the admin sends it for review.
    updates.edit_update(
        update, language="en", title=TITLE, body_markdown=BODY + " Again.", actor=colleague
    )
    digest = updates.submit_update(update, actor=staff["admin"])
    reasons = {
        "author": (staff["caseworker"], "You are its author"),
        "editor": (colleague, "You changed it since it was last approved"),
        "submitter": (staff["admin"], "You sent it for review"),
    }
    for who, (person, reason) in reasons.items():
        assert reason in updates.approval_refusal(update, person), who
        with pytest.raises(AppealError, match=reason):
            updates.approve_update(update, approver=person, digest=digest)
    assert update.state == "in_review"
    assert updates.approval_refusal(update, staff["verifier"]) is None
    updates.approve_update(update, approver=staff["verifier"], digest=digest)
    assert update.state == "published"


def test_the_author_sees_why_on_the_review_page_and_a_post_is_refused(
    client, browser, published, staff
):
    login(client, staff["admin"])
    response = client.post(
        f"/staff/appeals/{published.slug}/updates",
        data={"update-language": "en", "update-title": TITLE, "update-body_markdown": BODY},
    )
    assert response.status_code == 302
    update = db.session.scalars(select(AppealUpdate)).one()
    page_url = f"/staff/appeals/{published.slug}/updates/{update.public_id}"
    assert client.post(f"{page_url}/submit").status_code == 302

    page = page_text(client.get(page_url))
    reason = "You are its author: a second person has to approve it."
    assert reason in page and "disabled" in page and 'name="digest"' not in page
    response = client.post(f"{page_url}/approve", data={"digest": review.update_digest(update)})
    assert response.status_code == 400 and reason in page_text(response)
    db.session.expire_all()
    assert db.session.get(AppealUpdate, update.id).state == "in_review"

    verifier = browser()
    login(verifier, staff["verifier"])
    digest = _digest_on(page_text(verifier.get(page_url)))
    assert verifier.post(f"{page_url}/approve", data={"digest": digest}).status_code == 302
    assert TITLE in page_text(client.get(f"/appeals/{published.slug}"))


def test_a_caseworker_cannot_approve_or_mark_urgent(client, published, staff):
    update = draft(published, staff["admin"])
    updates.submit_update(update, actor=staff["admin"])
    db.session.commit()
    login(client, staff["caseworker"])
    page_url = f"/staff/appeals/{published.slug}/updates/{update.public_id}"
    digest = review.update_digest(update)
    assert client.post(f"{page_url}/approve", data={"digest": digest}).status_code == 403
    assert client.post(f"{page_url}/urgent", data={"urgent": "1"}).status_code == 403
    with pytest.raises(AppealError, match="administrator"):
        updates.mark_urgent(update, urgent=True, actor=staff["caseworker"])


def test_urgency_puts_it_first_in_the_queue_and_never_skips_the_second_person(
    client, browser, published, staff
):
    first = draft(published, staff["caseworker"], title="Waiting since yesterday")
    updates.submit_update(first, actor=staff["caseworker"])
    urgent = draft(published, staff["admin"], title="Urgent: the rent is due")
    digest = updates.submit_update(urgent, actor=staff["admin"])
    db.session.commit()
    admin = browser()
    login(admin, staff["admin"])
    page_url = f"/staff/appeals/{published.slug}/updates/{urgent.public_id}"
    assert admin.post(f"{page_url}/urgent", data={"urgent": "1"}).status_code == 302
    db.session.expire_all()
    urgent = db.session.get(AppealUpdate, urgent.id)
    assert urgent.urgent and urgent.state == "in_review"
    assert [u.id for u in updates.awaiting_review(published.organisation_id)] == [
        urgent.id,
        first.id,
    ]
    queue = page_text(admin.get("/staff/appeals/reviews"))
    assert queue.index("Urgent: the rent is due") < queue.index("Waiting since yesterday")
    assert "Urgent</span>" in queue

    # Urgent, but still not public, and still not approvable by its own author.
    assert "Urgent: the rent is due" not in page_text(client.get(f"/appeals/{published.slug}"))
    with pytest.raises(AppealError, match="You are its author"):
        updates.approve_update(urgent, approver=staff["admin"], digest=digest)
    response = admin.post(f"{page_url}/approve", data={"digest": digest})
    assert response.status_code == 400
    updates.approve_update(urgent, approver=staff["verifier"], digest=digest)
    db.session.commit()
    assert "Urgent: the rent is due" in page_text(client.get(f"/appeals/{published.slug}"))


def test_an_approval_naming_older_content_is_refused_and_shows_the_change(
    client, browser, published, staff
):
    update = draft(published, staff["caseworker"])
    updates.submit_update(update, actor=staff["caseworker"])
    db.session.commit()
    verifier = browser()
    login(verifier, staff["verifier"])
    page_url = f"/staff/appeals/{published.slug}/updates/{update.public_id}"
    seen = _digest_on(page_text(verifier.get(page_url)))

    # Meanwhile the author changes a word: it goes back to draft, and is sent again.
    login(client, staff["caseworker"])
    response = client.post(
        f"{page_url}/edit",
        data={
            "update-language": "en",
            "update-title": TITLE,
            "update-body_markdown": BODY.replace("September", "October"),
        },
    )
    assert response.status_code == 302
    follow = page_text(client.get(response.headers["Location"]))
    assert "sent it back to draft" in follow
    db.session.expire_all()
    assert db.session.get(AppealUpdate, update.id).state == "draft"
    assert client.post(f"{page_url}/submit").status_code == 302

    response = verifier.post(f"{page_url}/approve", data={"digest": seen})
    assert response.status_code == 409
    page = page_text(response)
    assert "The update changed since you opened it." in page
    assert "<del>September.</del><ins>October.</ins>" in page
    db.session.expire_all()
    update = db.session.get(AppealUpdate, update.id)
    assert update.state == "in_review"
    # The page now names what it shows; approving that works.
    assert (
        verifier.post(f"{page_url}/approve", data={"digest": _digest_on(page)}).status_code == 302
    )


def test_the_service_refuses_a_stale_digest_with_the_difference(published, staff):
    update = draft(published, staff["caseworker"], image_bytes=jpeg(), alt_text="A school bag")
    seen = updates.submit_update(update, actor=staff["caseworker"])
    updates.edit_update(
        update,
        language="en",
        title=TITLE + "!",
        body_markdown=BODY,
        remove_photo=True,
        actor=staff["caseworker"],
    )
    updates.submit_update(update, actor=staff["caseworker"])
    with pytest.raises(ContentChangedError) as refused:
        updates.approve_update(update, approver=staff["admin"], digest=seen)
    assert str(refused.value) == "The update changed since you opened it."
    assert [c.label for c in refused.value.changes] == ["Title", "Photo removed"]
    assert refused.value.digest == review.update_digest(update)


def test_return_with_a_reason_back_to_the_author(client, browser, published, staff):
    update = draft(published, staff["caseworker"])
    updates.submit_update(update, actor=staff["caseworker"])
    db.session.commit()
    verifier = browser()
    login(verifier, staff["verifier"])
    page_url = f"/staff/appeals/{published.slug}/updates/{update.public_id}"
    empty = verifier.post(f"{page_url}/return", data={"return-reason": " "})
    assert empty.status_code == 400 and "Say what has to change." in page_text(empty)
    response = verifier.post(f"{page_url}/return", data={"return-reason": REASON})
    assert response.status_code == 302
    db.session.expire_all()
    update = db.session.get(AppealUpdate, update.id)
    assert update.state == "draft" and update.return_reason == REASON
    login(client, staff["caseworker"])
    assert REASON in page_text(client.get(page_url))
    (event_,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "appeal.update_returned")
    ).all()
    assert "school" not in json.dumps(event_.details)
    raw = db.session.execute(
        text("SELECT return_reason FROM appeal_updates WHERE id = :id"), {"id": update.id}
    ).scalar_one()
    assert b"school" not in bytes(raw)  # encrypted at rest


def test_only_the_author_discards_and_only_before_publication(published, staff, make_user):
    update = draft(published, staff["caseworker"], image_bytes=jpeg(), alt_text="A school bag")
    db.session.commit()
    with pytest.raises(AppealError, match="Only the author"):
        updates.discard_update(update, actor=make_user("caseworker"))
    updates.discard_update(update, actor=staff["caseworker"])
    db.session.commit()
    assert db.session.scalar(select(func.count(AppealUpdate.id))) == 0
    assert db.session.scalar(select(func.count(PublicImage.id))) == 0

    news = appeal_fixtures.publish_update(published, staff["caseworker"], staff["admin"])
    with pytest.raises(AppealError, match="draft or an update awaiting review"):
        updates.discard_update(news, actor=staff["caseworker"])


def test_the_audit_log_names_the_approved_digest_never_the_text(published, staff):
    update = draft(published, staff["caseworker"])
    digest = updates.submit_update(update, actor=staff["caseworker"])
    updates.approve_update(update, approver=staff["admin"], digest=digest)
    db.session.commit()
    events = {
        e.action: e.details
        for e in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "appeal"))
    }
    assert events["appeal.update_submitted"]["digest"] == digest
    assert events["appeal.update_published"]["digest"] == digest == update.approved_digest
    assert not any(TITLE in json.dumps(details) for details in events.values())
    # What was approved is kept, encrypted, under that digest.
    snapshot = db.session.scalars(
        select(ReviewSnapshot).where(ReviewSnapshot.digest == digest)
    ).first()
    assert json.loads(snapshot.content)[1]["title"] == TITLE
    raw = db.session.execute(
        text("SELECT content FROM review_snapshots WHERE id = :id"), {"id": snapshot.id}
    ).scalar_one()
    assert TITLE.encode() not in bytes(raw)


def test_a_pending_photo_is_sealed_at_rest_and_never_served_publicly(
    client, browser, published, staff
):
    photo = jpeg(size=(32, 24))
    update = draft(published, staff["caseworker"], image_bytes=photo, alt_text="A school bag")
    db.session.commit()
    image = update.image
    clean = bytes(image.sealed_content)  # decrypted by the column type: the stored pixels
    with Image.open(io.BytesIO(clean)) as decoded:
        assert decoded.size == (32, 24)
    content, sealed = db.session.execute(
        text("SELECT content, sealed_content FROM public_images WHERE id = :id"), {"id": image.id}
    ).one()
    assert content is None
    assert bytes(sealed) != clean and clean not in bytes(sealed) and b"JFIF" not in bytes(sealed)

    token = image.token
    assert client.get(f"/media/{token}").status_code == 404
    staff_client = browser()
    login(staff_client, staff["verifier"])
    preview = staff_client.get(f"/staff/appeals/{published.slug}/updates/{update.public_id}/photo")
    assert preview.status_code == 200 and preview.get_data() == clean
    viewed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.personal_data_viewed")
    ).all()
    assert [(e.actor_id, e.details) for e in viewed] == [
        (staff["verifier"].id, {"part": "update_photo"})
    ]

    digest = updates.submit_update(update, actor=staff["caseworker"])
    assert client.get(f"/media/{token}").status_code == 404  # awaiting review: still sealed
    updates.approve_update(update, approver=staff["verifier"], digest=digest)
    db.session.commit()
    content, sealed = db.session.execute(
        text("SELECT content, sealed_content FROM public_images WHERE id = :id"), {"id": image.id}
    ).one()
    assert bytes(content) == clean and sealed is None
    served = client.get(f"/media/{token}")
    assert served.status_code == 200 and served.get_data() == clean
