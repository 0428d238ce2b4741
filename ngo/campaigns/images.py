"""Photos for the public site (covers and updates' pictures), sealed until approved.

A photo is kept only as its pixels re-encoded without metadata (cases.evidence does the
re-encoding for documents and photos alike). Until a second person approves the appeal or the
update it belongs to, those bytes are a draft: they are stored encrypted with the data keys, as
a case's documents are, so that a stolen database shows nothing of a photo nobody approved.
Approval (`publish_image`) moves them into `PublicImage.content` in clear, which is all the
public `/media/<token>` route reads. Staff see a pending photo through `image_bytes`.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from ngo.campaigns.errors import AppealError
from ngo.campaigns.models import Appeal, PublicImage
from ngo.cases.errors import CaseError
from ngo.cases.evidence import JPEG, PNG, _reencoded_image
from ngo.extensions import db
from ngo.timeutil import utcnow


def store_pending_image(
    appeal: Appeal, data: bytes, image_format: str, alt_text: str, purpose: str
) -> PublicImage:
    """Re-encode the checked photo and keep it sealed; the caller commits."""
    try:
        clean = _reencoded_image(data, image_format)
    except CaseError as exc:
        raise AppealError(exc.message, field="photo") from exc
    with Image.open(io.BytesIO(clean)) as decoded:
        width, height = decoded.size
    image = PublicImage(
        appeal_id=appeal.id,
        purpose=purpose,
        content=None,
        sealed_content=clean,
        sha256=hashlib.sha256(clean).hexdigest(),
        content_type=JPEG if image_format == "JPEG" else PNG,
        width=width,
        height=height,
        alt_text=alt_text,
    )
    db.session.add(image)
    return image


def publish_image(image: PublicImage) -> None:
    """Approved: the bytes become public, in clear, and the sealed copy goes."""
    if image.approved_at is not None:
        return
    image.content = image.sealed_content
    image.sealed_content = None
    image.approved_at = utcnow()


def image_bytes(image: PublicImage) -> bytes | None:
    """The photo's bytes for staff: decrypted while it is pending, as served once public."""
    return image.content if image.approved_at is not None else image.sealed_content


def is_pending(image: PublicImage) -> bool:
    return image.approved_at is None
