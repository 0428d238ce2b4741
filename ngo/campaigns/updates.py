"""News on a published appeal: posting and withdrawing updates, and which appeals owe one.

An update is public text like the appeal's own, so it passes the same safety check before it
is stored: its title, body and photo description are searched for the person's private values
(given the consents for the public page), and its photo for hidden metadata. A refusal names
where something was found, never what: the finding's context is shown to staff on the appeal
page only. The photo is kept only as pixels re-encoded without any metadata.

Posting writes an outbox message in the same transaction; the worker then e-mails the update
to the appeal's confirmed followers (campaigns.notifications).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ngo import audit, outbox
from ngo.accounts.models import User
from ngo.campaigns import notifications, safety, visibility
from ngo.campaigns.models import Appeal, AppealStatus, AppealUpdate, PublicImage
from ngo.campaigns.services import VISIBLE, AppealError
from ngo.cases.consent import consented_items
from ngo.cases.evidence import JPEG, PNG, _reencoded_image, format_size
from ngo.cases.images import refuse_oversized_image
from ngo.cases.models import Beneficiary, ConsentAudience
from ngo.cases.services import CaseError
from ngo.config import LANGUAGES
from ngo.extensions import db
from ngo.timeutil import utcnow

TITLE_MAX = 200
BODY_MAX = 20_000
ALT_TEXT_MAX = 300
PHOTO_MAX_BYTES = 10 * 1024 * 1024

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# What a refusal calls each checked part of an update (never what was found in it).
PART_LABELS = {
    "title": _l("title"),
    "body_markdown": _l("text"),
    "alt_text": _l("photo description"),
    "photo": _l("photo"),
}


class SafetyCheckError(AppealError):
    """The update holds private information or its photo holds hidden data. `findings` carry
    the context for the staff page (their repr leaves it out); the message names only the
    parts of the update where something was found."""

    def __init__(self, message: object, findings: Sequence[safety.Finding], field: str) -> None:
        super().__init__(message, field=field)
        self.findings = list(findings)


def _audit(appeal: Appeal, actor: User, action: str, **details: object) -> None:
    audit.record(
        action,
        actor_id=actor.id,
        organisation_id=appeal.organisation_id,
        object_type="appeal",
        object_id=appeal.id,
        details=dict(details),
    )


def post_update(
    appeal: Appeal,
    *,
    language: str,
    title: str,
    body_markdown: str,
    image_bytes: bytes | None = None,
    alt_text: str = "",
    actor: User,
) -> AppealUpdate:
    """Check, store and announce one update; the caller commits."""
    if AppealStatus(appeal.status) not in VISIBLE:
        raise AppealError(_l("Updates can be posted only on a published appeal."))
    if language not in LANGUAGES:
        raise AppealError(_l("Choose one of the site's languages."), field="language")
    title = " ".join((title or "").split())
    if not title:
        raise AppealError(_l("Give the update a title."), field="title")
    if len(title) > TITLE_MAX:
        raise AppealError(
            _l("Use at most %(max)d characters for the title.", max=TITLE_MAX), field="title"
        )
    body = (body_markdown or "").strip()
    if len(body) > BODY_MAX:
        raise AppealError(
            _l("Use at most %(max)d characters for the text.", max=BODY_MAX),
            field="body_markdown",
        )
    alt = " ".join((alt_text or "").split())
    if image_bytes and not alt:
        raise AppealError(_l("Describe the photo for readers who cannot see it."), field="alt_text")
    if len(alt) > ALT_TEXT_MAX:
        raise AppealError(
            _l("Use at most %(max)d characters for the description.", max=ALT_TEXT_MAX),
            field="alt_text",
        )

    image_format = photo_format(image_bytes) if image_bytes else None

    beneficiary = db.session.get(Beneficiary, appeal.beneficiary_id)
    if beneficiary is None or beneficiary.erased_at is not None:
        raise AppealError(_l("The person's data was erased."))
    texts = {"title": title, "body_markdown": body}
    if image_bytes:
        texts["alt_text"] = alt
    consented = consented_items(beneficiary.id, ConsentAudience.PUBLIC_PAGE)
    findings = safety.scan_texts(texts, safety.private_values_of(beneficiary, consented))
    photo_findings = safety.scan_image(image_bytes, "photo") if image_bytes else []
    if any(f.kind == safety.IMAGE_UNREADABLE for f in photo_findings):
        raise AppealError(_l("This image is damaged and cannot be read."), field="photo")
    _refuse_findings(findings, photo_findings)

    image = (
        store_public_image(appeal, image_bytes, image_format, alt)
        if image_bytes and image_format
        else None
    )
    now = utcnow()
    update = AppealUpdate(
        appeal_id=appeal.id,
        language=language,
        title=title,
        body_markdown=body,
        image=image,
        posted_by_id=actor.id,
        posted_at=now,
    )
    db.session.add(update)
    db.session.flush()
    appeal.last_update_at = now
    _audit(
        appeal,
        actor,
        "appeal.update_posted",
        update=update.public_id,
        language=language,
        photo=image is not None,
    )
    outbox.enqueue(notifications.UPDATE_EMAIL, {"update_id": update.id})
    return update


def photo_format(data: bytes) -> str:
    """ "JPEG" or "PNG", decided by the bytes; AppealError for anything else, too large in
    bytes or in pixels."""
    if len(data) > PHOTO_MAX_BYTES:
        raise AppealError(
            _l("The photo is larger than %(size)s.", size=format_size(PHOTO_MAX_BYTES)),
            field="photo",
        )
    if data.startswith(_JPEG_MAGIC):
        image_format = "JPEG"
    elif data.startswith(_PNG_MAGIC):
        image_format = "PNG"
    else:
        raise AppealError(_l("Only JPEG and PNG photos are accepted."), field="photo")
    # Measured from the header here, before the safety check's metadata scan decodes it.
    try:
        refuse_oversized_image(data, field="photo")
    except CaseError as exc:
        raise AppealError(exc.message, field="photo") from exc
    return image_format


def _refuse_findings(
    text_findings: list[safety.Finding], photo_findings: list[safety.Finding]
) -> None:
    """One refusal for everything found, so that staff can fix it all at once."""
    if not text_findings and not photo_findings:
        return
    messages = []
    if text_findings:
        parts = ", ".join(
            str(PART_LABELS[name]) for name in dict.fromkeys(f.field for f in text_findings)
        )
        messages.append(
            _l(
                "Private information about the person was found in the update (%(parts)s). "
                "Remove it and post again.",
                parts=parts,
            )
        )
    if photo_findings:
        messages.append(
            _l(
                "The photo carries hidden data (such as where or when it was taken, or the "
                "camera). Save a copy without it, check what the photo itself shows, and "
                "upload that copy."
            )
        )
    raise SafetyCheckError(
        " ".join(str(m) for m in messages),
        [*text_findings, *photo_findings],
        field=text_findings[0].field if text_findings else "photo",
    )


def store_public_image(
    appeal: Appeal, data: bytes, image_format: str, alt_text: str, purpose: str = "update"
) -> PublicImage:
    """Only the pixels of the checked photo are kept, re-encoded without any metadata."""
    try:
        clean = _reencoded_image(data, image_format)
    except CaseError as exc:
        raise AppealError(exc.message, field="photo") from exc
    with Image.open(io.BytesIO(clean)) as decoded:
        width, height = decoded.size
    image = PublicImage(
        appeal_id=appeal.id,
        purpose=purpose,
        content=clean,
        content_type=JPEG if image_format == "JPEG" else PNG,
        width=width,
        height=height,
        alt_text=alt_text,
    )
    db.session.add(image)
    return image


def withdraw_update(update: AppealUpdate, actor: User) -> None:
    """The update leaves the public site and the feed (it stays listed for staff). Its photo
    is deleted: whatever made staff withdraw the update may be in the picture."""
    if update.withdrawn_at is not None:
        raise AppealError(_l("This update was already withdrawn."))
    appeal = db.session.get(Appeal, update.appeal_id)
    update.withdrawn_at = utcnow()
    if update.image is not None:
        image = update.image
        update.image = None
        db.session.delete(image)
    db.session.flush()
    appeal.last_update_at = db.session.scalar(
        select(func.max(AppealUpdate.posted_at)).where(
            AppealUpdate.appeal_id == appeal.id, AppealUpdate.withdrawn_at.is_(None)
        )
    )
    _audit(appeal, actor, "appeal.update_withdrawn", update=update.public_id)


def updates_of(appeal: Appeal) -> list[AppealUpdate]:
    """Every update of the appeal, withdrawn ones included, newest first (for staff)."""
    return list(
        db.session.scalars(
            select(AppealUpdate)
            .where(AppealUpdate.appeal_id == appeal.id)
            # The photo's bytes are served by the public site, not needed for the list.
            .options(selectinload(AppealUpdate.image).defer(PublicImage.content))
            .order_by(AppealUpdate.posted_at.desc(), AppealUpdate.id.desc())
        )
    )


# Appeals that owe their donors news -------------------------------------------------------


@dataclass(frozen=True)
class OverdueAppeal:
    appeal: Appeal
    last_news_at: datetime
    days_overdue: int


def overdue_appeals(organisation_id: int, now: datetime | None = None) -> list[OverdueAppeal]:
    """Listed appeals whose last update (or publication, before the first update) is older
    than their update interval, the longest silent first. Two queries, whatever the number."""
    now = now or utcnow()
    appeals = db.session.scalars(
        select(Appeal)
        .where(Appeal.organisation_id == organisation_id, visibility.publicly_listed(now))
        .options(selectinload(Appeal.translations))
    ).all()
    overdue: list[OverdueAppeal] = []
    for appeal in appeals:
        last = appeal.last_update_at or appeal.published_at or appeal.created_at
        due = last + timedelta(days=appeal.update_interval_days)
        if now > due:
            # Whole days, rounded up: an update due this morning is one day late tonight.
            days = -((due - now) // timedelta(days=1))
            overdue.append(OverdueAppeal(appeal, last, days))
    overdue.sort(key=lambda o: (o.last_news_at, o.appeal.id))
    return overdue
