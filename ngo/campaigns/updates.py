"""News on a published appeal, reviewed like the appeal itself (which appeals owe some is in
campaigns.overdue).

An update goes public only once a second person approved it. A staff member drafts it (a
draft), may change or discard it, and sends it for review; an approver who is not its author,
not who sent it for review and did not change it since (`accounts.policy.four_eyes_refusal`)
either returns it with a reason (a draft again) or approves it, naming the digest of the
content they read (campaigns.review). Approval publishes it: the appeal page, the Atom feed and
the API show it, it counts as the appeal's last update, and the e-mail to followers is written
to the outbox in that same transaction. Any change of an update in review sends it back to
draft. An organisation admin may mark an update urgent: first in the review queue, never past
the second person.

An update is public text like the appeal's own, so it passes the same safety check whenever it
is saved, sent for review and approved: its title, body and photo description are searched
for the person's private values (given the consents for the public page), and its photo for
hidden metadata. A refusal names where something was found, never what: the finding's context
is shown to staff on the appeal page only. The photo is kept only as pixels re-encoded without
any metadata, sealed until approval (campaigns.images).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ngo import audit, outbox
from ngo.accounts import policy
from ngo.accounts.models import User
from ngo.campaigns import images, notifications, review
from ngo.campaigns.appeals import VISIBLE
from ngo.campaigns.errors import AppealError
from ngo.campaigns.models import (
    Appeal,
    AppealStatus,
    AppealUpdate,
    UpdateState,
)
from ngo.campaigns.overdue import OverdueAppeal, overdue_appeals
from ngo.campaigns.update_checks import (
    ALT_TEXT_MAX,
    BODY_MAX,
    PART_LABELS,
    PHOTO_MAX_BYTES,
    TITLE_MAX,
    SafetyCheckError,
    checked_fields,
    photo_format,
    scan,
    texts_of,
)
from ngo.campaigns.update_queries import awaiting_review, display_state, update_of, updates_of
from ngo.extensions import db
from ngo.timeutil import utcnow

RETURN_REASON_MAX = 2_000

# Used by the forms, the views and the cover photo, which know updates by this module.
__all__ = [
    "ALT_TEXT_MAX",
    "BODY_MAX",
    "PART_LABELS",
    "PHOTO_MAX_BYTES",
    "TITLE_MAX",
    "OverdueAppeal",
    "SafetyCheckError",
    "awaiting_review",
    "display_state",
    "overdue_appeals",
    "photo_format",
    "update_of",
    "updates_of",
]

PENDING = frozenset({UpdateState.DRAFT.value, UpdateState.IN_REVIEW.value})


def _refuse_unless_published_appeal(appeal: Appeal) -> None:
    if AppealStatus(appeal.status) not in VISIBLE:
        raise AppealError(_l("Updates can be posted only on a published appeal."))


def _refuse_unless_pending(update: AppealUpdate) -> None:
    if update.state not in PENDING:
        raise AppealError(_l("Only a draft or an update awaiting review can be changed."))


def _note_editor(update: AppealUpdate, actor: User) -> None:
    if actor.id not in (update.editor_ids or []):
        update.editor_ids = [*(update.editor_ids or []), actor.id]


# Drafting ---------------------------------------------------------------------------------


def draft_update(
    appeal: Appeal,
    *,
    language: str,
    title: str,
    body_markdown: str,
    image_bytes: bytes | None = None,
    alt_text: str = "",
    actor: User,
) -> AppealUpdate:
    """Check and store a draft update; nothing of it is public yet. The caller commits."""
    _refuse_unless_published_appeal(appeal)
    fields = checked_fields(language, title, body_markdown, alt_text, bool(image_bytes))
    image_format = photo_format(image_bytes) if image_bytes else None
    texts = {"title": fields.title, "body_markdown": fields.body}
    if image_bytes:
        texts["alt_text"] = fields.alt
    scan(appeal, texts, image_bytes)
    image = (
        images.store_pending_image(appeal, image_bytes, image_format, fields.alt, "update")
        if image_bytes and image_format
        else None
    )
    update = AppealUpdate(
        appeal_id=appeal.id,
        state=UpdateState.DRAFT.value,
        language=fields.language,
        title=fields.title,
        body_markdown=fields.body,
        image=image,
        posted_by_id=actor.id,
        editor_ids=[actor.id],
    )
    db.session.add(update)
    db.session.flush()
    audit.record_change(
        appeal,
        actor,
        "appeal.update_drafted",
        update=update.public_id,
        language=fields.language,
        photo=image is not None,
    )
    return update


def edit_update(
    update: AppealUpdate,
    *,
    language: str,
    title: str,
    body_markdown: str,
    image_bytes: bytes | None = None,
    alt_text: str = "",
    remove_photo: bool = False,
    actor: User,
) -> bool:
    """Change a draft or an update awaiting review (a new photo replaces the old one). The
    editor may not approve it; an update in review goes back to draft. Returns True if it did."""
    _refuse_unless_pending(update)
    appeal = update.appeal
    keeps_photo = update.image is not None and not remove_photo and not image_bytes
    fields = checked_fields(
        language, title, body_markdown, alt_text, bool(image_bytes) or keeps_photo
    )
    image_format = photo_format(image_bytes) if image_bytes else None
    texts = {"title": fields.title, "body_markdown": fields.body}
    if image_bytes or keeps_photo:
        texts["alt_text"] = fields.alt
    scan(appeal, texts, image_bytes)
    if (image_bytes or remove_photo) and update.image is not None:
        old = update.image
        update.image = None
        db.session.delete(old)
    if image_bytes and image_format:
        update.image = images.store_pending_image(
            appeal, image_bytes, image_format, fields.alt, "update"
        )
    elif update.image is not None:
        update.image.alt_text = fields.alt
    update.language = fields.language
    update.title = fields.title
    update.body_markdown = fields.body
    _note_editor(update, actor)
    returned = update.state == UpdateState.IN_REVIEW.value
    if returned:
        update.state = UpdateState.DRAFT.value
        update.submitted_by_id = None
        update.submitted_at = None
    db.session.flush()
    audit.record_change(
        appeal,
        actor,
        "appeal.update_changed",
        update=update.public_id,
        returned_to_draft=returned,
    )
    return returned


def discard_update(update: AppealUpdate, *, actor: User) -> None:
    """The author deletes an update that was never published, with its photo."""
    _refuse_unless_pending(update)
    if update.posted_by_id != actor.id:
        raise AppealError(_l("Only the author of a draft can discard it."))
    appeal = update.appeal
    public_id = update.public_id
    if update.image is not None:
        db.session.delete(update.image)
    db.session.delete(update)
    db.session.flush()
    audit.record_change(appeal, actor, "appeal.update_discarded", update=public_id)


def mark_urgent(update: AppealUpdate, *, urgent: bool, actor: User) -> None:
    """An organisation admin puts an update first in the review queue (or takes it off). It
    still needs a second person's approval like any other."""
    appeal = update.appeal
    membership = next(
        (m for m in actor.memberships if m.organisation_id == appeal.organisation_id), None
    )
    if not policy.may(membership, policy.Action.MARK_UPDATE_URGENT, appeal):
        raise AppealError(_l("Only an administrator of the organisation can mark it urgent."))
    _refuse_unless_pending(update)
    update.urgent = urgent
    audit.record_change(
        appeal, actor, "appeal.update_urgency_set", update=update.public_id, urgent=urgent
    )


# Review -----------------------------------------------------------------------------------


def submit_update(update: AppealUpdate, *, actor: User) -> str:
    """Send the draft to a second person, checked once more; what they will read is kept
    under its digest, which is returned."""
    if update.state != UpdateState.DRAFT.value:
        raise AppealError(_l("Only a draft can be sent for review."))
    appeal = update.appeal
    _refuse_unless_published_appeal(appeal)
    scan(appeal, texts_of(update), None)
    update.state = UpdateState.IN_REVIEW.value
    update.submitted_by_id = actor.id
    update.submitted_at = utcnow()
    digest = review.save_snapshot(appeal, review.update_content(update), update)
    audit.record_change(
        appeal, actor, "appeal.update_submitted", update=update.public_id, digest=digest
    )
    return digest


def approval_refusal(update: AppealUpdate, approver: User) -> str | None:
    """Why `approver` may not approve the update under the four-eyes rule, or None."""
    return policy.four_eyes_refusal(
        approver.id,
        authors=[update.posted_by_id],
        submitter=update.submitted_by_id,
        editors=update.editor_ids or [],
    )


def return_update(update: AppealUpdate, *, reason: str, actor: User) -> None:
    """An approver sends the update back to its author, saying why."""
    if update.state != UpdateState.IN_REVIEW.value:
        raise AppealError(_l("Only an update awaiting review can be returned."))
    reason = (reason or "").strip()
    if not reason:
        raise AppealError(_l("Say what has to change."), field="reason")
    if len(reason) > RETURN_REASON_MAX:
        raise AppealError(
            _l("Use at most %(max)d characters.", max=RETURN_REASON_MAX), field="reason"
        )
    update.state = UpdateState.DRAFT.value
    update.return_reason = reason
    update.submitted_by_id = None
    update.submitted_at = None
    audit.record_change(update.appeal, actor, "appeal.update_returned", update=update.public_id)


def approve_update(update: AppealUpdate, *, approver: User, digest: str) -> None:
    """The second person publishes exactly the content whose digest they read: shown at once
    on the public site and e-mailed to followers (the outbox message is part of this
    transaction). The caller commits."""
    if update.state != UpdateState.IN_REVIEW.value:
        raise AppealError(_l("Only an update awaiting review can be published."))
    appeal = update.appeal
    _refuse_unless_published_appeal(appeal)
    refusal = approval_refusal(update, approver)
    if refusal is not None:
        raise AppealError(refusal)
    content = review.update_content(update)
    review.refuse_if_changed(
        _l("The update changed since you opened it."), digest, content, appeal, update
    )
    scan(appeal, texts_of(update), None)
    if update.image is not None:
        images.publish_image(update.image)
    review.save_snapshot(appeal, content, update)
    now = utcnow()
    update.state = UpdateState.PUBLISHED.value
    update.approved_by_id = approver.id
    update.approved_digest = digest
    update.posted_at = now
    update.editor_ids = []
    update.return_reason = None
    appeal.last_update_at = now
    db.session.flush()
    audit.record_change(
        appeal,
        approver,
        "appeal.update_published",
        update=update.public_id,
        digest=digest,
        language=update.language,
        photo=update.image is not None,
    )
    outbox.enqueue(
        notifications.UPDATE_EMAIL, {"update_id": update.id}, organisation_id=appeal.organisation_id
    )


def withdraw_update(update: AppealUpdate, actor: User) -> None:
    """The update leaves the public site and the feed (it stays listed for staff). Its photo
    is deleted: whatever made staff withdraw the update may be in the picture."""
    if update.state != UpdateState.PUBLISHED.value:
        raise AppealError(_l("Only a published update can be withdrawn; discard a draft."))
    if update.withdrawn_at is not None:
        raise AppealError(_l("This update was already withdrawn."))
    appeal = db.session.get_one(Appeal, update.appeal_id)
    update.withdrawn_at = utcnow()
    if update.image is not None:
        image = update.image
        update.image = None
        db.session.delete(image)
    db.session.flush()
    appeal.last_update_at = db.session.scalar(
        select(func.max(AppealUpdate.posted_at)).where(
            AppealUpdate.appeal_id == appeal.id, AppealUpdate.shown_publicly()
        )
    )
    audit.record_change(appeal, actor, "appeal.update_withdrawn", update=update.public_id)
