"""The checks every save, submission and approval of an update passes: its fields' limits,
its photo's format and size, and the publication safety check over its texts and photo.

A refusal names where something was found, never what: the finding's context is shown to
staff on the appeal page only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ngo.campaigns import safety
from ngo.campaigns.errors import AppealError
from ngo.campaigns.models import Appeal, AppealUpdate
from ngo.cases.consent import consented_items
from ngo.cases.errors import CaseError
from ngo.cases.evidence import format_size
from ngo.cases.images import refuse_oversized_image
from ngo.cases.models import Beneficiary, ConsentAudience
from ngo.config import LANGUAGES
from ngo.extensions import db

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


@dataclass(frozen=True)
class Fields:
    language: str
    title: str
    body: str
    alt: str


def checked_fields(
    language: str, title: str, body_markdown: str, alt_text: str, with_photo: bool
) -> Fields:
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
    if with_photo and not alt:
        raise AppealError(_l("Describe the photo for readers who cannot see it."), field="alt_text")
    if len(alt) > ALT_TEXT_MAX:
        raise AppealError(
            _l("Use at most %(max)d characters for the description.", max=ALT_TEXT_MAX),
            field="alt_text",
        )
    return Fields(language, title, body, alt)


def scan(appeal: Appeal, texts: dict[str, str], image_bytes: bytes | None) -> None:
    """The safety check over the update's texts and a new photo; SafetyCheckError if it finds
    anything."""
    beneficiary = db.session.get(Beneficiary, appeal.beneficiary_id)
    if beneficiary is None or beneficiary.erased_at is not None:
        raise AppealError(_l("The person's data was erased."))
    consented = consented_items(beneficiary.id, ConsentAudience.PUBLIC_PAGE)
    findings = safety.scan_texts(texts, safety.private_values_of(beneficiary, consented))
    photo_findings = safety.scan_image(image_bytes, "photo") if image_bytes else []
    if any(f.kind == safety.IMAGE_UNREADABLE for f in photo_findings):
        raise AppealError(_l("This image is damaged and cannot be read."), field="photo")
    refuse_findings(findings, photo_findings)


def texts_of(update: AppealUpdate) -> dict[str, str]:
    texts = {"title": update.title, "body_markdown": update.body_markdown}
    if update.image is not None:
        texts["alt_text"] = update.image.alt_text
    return texts


def refuse_findings(
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
                "Remove it and save again.",
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
