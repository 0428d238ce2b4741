"""An appeal's cover photo: shown on its public page and in link previews.

The photo passes the same checks as an update's (JPEG or PNG by content, hidden metadata
refused, the description searched for private values) and is kept re-encoded without
metadata. Showing it needs the person's consent to a public photo, which the publication gate
checks (`services.publication_problems`), so a withdrawn photo consent unlists the appeal.

The cover is part of what the appeal's approval covers (its bytes' hash is in the review
digest): it can be set only while the appeal is a draft or in review, setting it is an edit
like any other (an appeal in review goes back to draft), and it stays sealed (encrypted, not
served) until a second person approves the appeal (campaigns.images).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ngo import audit
from ngo.accounts.models import User
from ngo.campaigns import images, safety
from ngo.campaigns.appeals import EDITABLE, begin_edit, refuse_unless_editable
from ngo.campaigns.errors import AppealError
from ngo.campaigns.models import Appeal, AppealStatus, PublicImage
from ngo.campaigns.updates import ALT_TEXT_MAX, SafetyCheckError, photo_format
from ngo.cases.consent import consented_items
from ngo.cases.models import Beneficiary, ConsentAudience
from ngo.extensions import db

COVER = "cover"


def cover_of(appeal: Appeal) -> PublicImage | None:
    return db.session.scalars(
        select(PublicImage).where(PublicImage.appeal_id == appeal.id, PublicImage.purpose == COVER)
    ).first()


def set_cover_photo(
    appeal: Appeal, *, image_bytes: bytes, alt_text: str, actor: User
) -> PublicImage:
    """Check and store the cover photo (sealed until approved), replacing any earlier one; the
    caller commits."""
    refuse_unless_editable(appeal)
    alt = " ".join((alt_text or "").split())
    if not alt:
        raise AppealError(_l("Describe the photo for readers who cannot see it."), field="alt_text")
    if len(alt) > ALT_TEXT_MAX:
        raise AppealError(
            _l("Use at most %(max)d characters for the description.", max=ALT_TEXT_MAX),
            field="alt_text",
        )
    image_format = photo_format(image_bytes)
    beneficiary = db.session.get_one(Beneficiary, appeal.beneficiary_id)
    consented = consented_items(beneficiary.id, ConsentAudience.PUBLIC_PAGE)
    text_findings = safety.scan_texts(
        {"alt_text": alt}, safety.private_values_of(beneficiary, consented)
    )
    if text_findings:
        raise SafetyCheckError(
            _l("Private information found in public text."), text_findings, field="alt_text"
        )
    photo_findings = safety.scan_image(image_bytes, "photo")
    if any(f.kind == safety.IMAGE_UNREADABLE for f in photo_findings):
        raise AppealError(_l("This image is damaged and cannot be read."), field="photo")
    if photo_findings:
        raise SafetyCheckError(
            _l(
                "The photo carries hidden data (such as where or when it was taken, or the "
                "camera). Save a copy without it, check what the photo itself shows, and "
                "upload that copy."
            ),
            photo_findings,
            field="photo",
        )
    begin_edit(appeal, actor)
    _delete_cover(appeal)
    image = images.store_pending_image(appeal, image_bytes, image_format, alt, purpose=COVER)
    db.session.flush()
    audit.record_change(appeal, actor, "appeal.cover_photo_set")
    return image


def remove_cover_photo(appeal: Appeal, *, actor: User) -> None:
    """Removing a photo is always allowed, published or not: it only ever makes less public.
    Before publication it is an edit like any other (an appeal in review goes back to draft:
    its reviewer read it with the photo)."""
    if cover_of(appeal) is not None and AppealStatus(appeal.status) in EDITABLE:
        begin_edit(appeal, actor)
    _delete_cover(appeal)
    db.session.flush()
    audit.record_change(appeal, actor, "appeal.cover_photo_removed")


def _delete_cover(appeal: Appeal) -> None:
    # Through the session, not a bulk delete, so the listing hook sees the change.
    for image in db.session.scalars(
        select(PublicImage).where(PublicImage.appeal_id == appeal.id, PublicImage.purpose == COVER)
    ):
        db.session.delete(image)
