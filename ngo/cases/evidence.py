"""Evidence documents: checked by content, cleaned of metadata, encrypted on disk.

A file's type is decided by its bytes, never by its name or the browser's content type. Images
are re-encoded from their pixels alone, so EXIF (GPS position, camera serial), XMP, ICC profiles
and comments cannot leave the building with a download. PDFs are kept byte for byte: rewriting
one would break the digital signature a court or registry may have put on it, and a PDF's
metadata says no more about the person than its pages do; the file stays encrypted at rest.
"""

from __future__ import annotations

import io
import os
import secrets
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, SessionTransaction

from ngo import audit
from ngo.accounts.models import User
from ngo.accounts.policy import four_eyes_refusal
from ngo.cases.errors import CaseError, refuse_erased
from ngo.cases.images import refuse_oversized_image
from ngo.cases.models import Beneficiary, EvidenceItem, EvidenceKind
from ngo.crypto import decrypt_bytes, encrypt_bytes
from ngo.extensions import db, listen
from ngo.timeutil import utcnow

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}

TITLE_MAX = 200
URL_MAX = 2000
FILENAME_MAX = 255
JPEG_QUALITY = 90

_PDF_MAGIC = b"%PDF-"
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Phone cameras write multi-picture JPEGs, which Pillow calls MPO; the first frame is kept.
_PILLOW_FORMATS = {"JPEG": {"JPEG", "MPO"}, "PNG": {"PNG"}}
# Files written by this transaction, removed again if it does not commit.
_PENDING_KEY = "ngo_evidence_new_files"


class EvidenceFileMissing(Exception):  # noqa: N818  (a state, not a programming error)
    """The encrypted file of an item is gone (destroyed, or lost from the disk)."""


# Upload ---------------------------------------------------------------------------------


def upload_evidence(
    beneficiary: Beneficiary,
    *,
    kind: EvidenceKind,
    title: str,
    data: bytes,
    filename: str,
    actor: User,
) -> EvidenceItem:
    """Check, clean, encrypt and store one file; the caller commits."""
    refuse_erased(beneficiary)
    kind = EvidenceKind(kind)
    clean_title = _required_title(title)
    content_type, stored = _checked_and_cleaned(data)
    key = secrets.token_hex(16)
    path = _write_encrypted(key, stored)
    try:
        item = EvidenceItem(
            beneficiary_id=beneficiary.id,
            organisation_id=beneficiary.organisation_id,
            kind=kind.value,
            title=clean_title,
            storage_key=key,
            content_type=content_type,
            size_bytes=len(stored),
            original_filename=_clean_filename(filename),
            uploaded_by_id=actor.id,
        )
        db.session.add(item)
        db.session.flush()
        audit.record_change(
            beneficiary, actor, "evidence.uploaded", kind=kind.value, content_type=content_type
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    _forget_on_rollback(path)
    return item


def _checked_and_cleaned(data: bytes) -> tuple[str, bytes]:
    """(content type, bytes to store), or CaseError: the only gate a file passes through."""
    if not data:
        raise CaseError(_l("The file is empty."), field="file")
    limit = int(current_app.config["EVIDENCE_MAX_BYTES"])
    if len(data) > limit:
        raise CaseError(
            _l("The file is larger than %(size)s.", size=format_size(limit)), field="file"
        )
    if data.startswith(_PDF_MAGIC):
        _check_pdf(data)
        return PDF, data
    if data.startswith(_JPEG_MAGIC):
        return JPEG, _reencoded_image(data, "JPEG")
    if data.startswith(_PNG_MAGIC):
        return PNG, _reencoded_image(data, "PNG")
    raise CaseError(_l("Only PDF, JPEG and PNG files are accepted."), field="file")


def format_size(size: int) -> str:
    """A size limit as people say it: "20 MB", "512 KB"."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} B"


def _check_pdf(data: bytes) -> None:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            # Verifiers must be able to read it, and we could not check what it holds.
            raise CaseError(
                _l("This PDF is protected by a password. Remove the password and upload it again."),
                field="file",
            )
        if len(reader.pages) == 0:
            raise CaseError(_l("This PDF has no pages."), field="file")
    except CaseError:
        raise
    except Exception as exc:
        # A parser fed hostile bytes can fail in any way; whatever it says is never shown.
        raise CaseError(_l("This PDF is damaged and cannot be read."), field="file") from exc


def _reencoded_image(data: bytes, image_format: str) -> bytes:
    """Only the pixels survive: a new image is built and saved without any info block."""
    refuse_oversized_image(data, field="file")  # before anything below decodes a pixel
    damaged = CaseError(_l("This image is damaged and cannot be read."), field="file")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in _PILLOW_FORMATS[image_format]:
                raise damaged
            probe.verify()
        with Image.open(io.BytesIO(data)) as source:
            source.load()
            upright = ImageOps.exif_transpose(source) or source
            pixels = _normalised_mode(upright, image_format)
            # A fresh canvas carries no info dict: no EXIF, XMP, ICC, text chunks or comments.
            clean = Image.new(pixels.mode, pixels.size)
            clean.paste(pixels)
            out = io.BytesIO()
            if image_format == "JPEG":
                clean.save(out, "JPEG", quality=JPEG_QUALITY)
            else:
                clean.save(out, "PNG")
            return out.getvalue()
    except CaseError:
        raise
    except Exception as exc:  # as for PDFs: any failure of the parser means "damaged"
        raise damaged from exc


def _normalised_mode(image: Image.Image, image_format: str) -> Image.Image:
    if image_format == "JPEG":
        return image if image.mode in ("L", "RGB") else image.convert("RGB")
    if image.mode in ("L", "RGB", "RGBA"):
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale scans: keep the top 8 bits rather than clipping to white.
        return image.point(lambda value: value / 256).convert("L")
    has_alpha = "A" in image.mode or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _required_title(title: str) -> str:
    clean = (title or "").strip()
    if not clean:
        raise CaseError(_l("Give the document a title."), field="title")
    if len(clean) > TITLE_MAX:
        raise CaseError(
            _l("Use at most %(max)d characters for the title.", max=TITLE_MAX), field="title"
        )
    return clean


def _clean_filename(filename: str) -> str | None:
    # Kept only so staff can recognise their own file; never used in a path or a header.
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    return name[:FILENAME_MAX] or None


# Listings -------------------------------------------------------------------------------


def add_listing(
    beneficiary: Beneficiary, *, title: str, url: str, listed_on: date, actor: User
) -> EvidenceItem:
    """A listing of the person by a human-rights organisation: a link and a date, no file."""
    refuse_erased(beneficiary)
    clean_title = _required_title(title)
    clean_url = (url or "").strip()
    parts = urlsplit(clean_url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise CaseError(_l("Enter a web address starting with https:// or http://."), field="url")
    if len(clean_url) > URL_MAX:
        raise CaseError(_l("This web address is too long."), field="url")
    if listed_on is None:
        raise CaseError(_l("Enter the date of the listing."), field="listed_on")
    if listed_on > date.today():
        raise CaseError(_l("The date of the listing cannot be in the future."), field="listed_on")
    item = EvidenceItem(
        beneficiary_id=beneficiary.id,
        organisation_id=beneficiary.organisation_id,
        kind=EvidenceKind.HUMAN_RIGHTS_LISTING.value,
        title=clean_title,
        source_url=clean_url,
        source_date=listed_on,
        uploaded_by_id=actor.id,
    )
    db.session.add(item)
    db.session.flush()
    audit.record_change(beneficiary, actor, "evidence.listing_added", kind=item.kind)
    return item


# Reading, checking, destroying -----------------------------------------------------------


def evidence_of(beneficiary: Beneficiary) -> list[EvidenceItem]:
    """The case's evidence, newest first."""
    return list(
        db.session.scalars(
            select(EvidenceItem)
            .where(EvidenceItem.beneficiary_id == beneficiary.id)
            .order_by(EvidenceItem.uploaded_at.desc(), EvidenceItem.id.desc())
        )
    )


def read_evidence_file(item: EvidenceItem) -> bytes:
    """The decrypted bytes; EvidenceFileMissing if the item has no file (any more)."""
    if item.storage_key is None or item.destroyed_at is not None:
        raise EvidenceFileMissing
    try:
        token = _path_of(item.storage_key).read_bytes()
    except FileNotFoundError as exc:
        raise EvidenceFileMissing from exc
    return decrypt_bytes(token)


def record_download(item: EvidenceItem, *, actor: User) -> None:
    audit.record_change(item, actor, "evidence.downloaded", evidence_id=item.id)


def check_refusal(item: EvidenceItem, actor: User) -> str | None:
    """Why `actor` may not mark the document as checked (they uploaded it), or None."""
    return four_eyes_refusal(actor.id, authors=[item.uploaded_by_id])


def mark_checked(item: EvidenceItem, *, actor: User) -> None:
    """A second person confirms the document was looked at: never the one who uploaded it."""
    if item.destroyed_at is not None:
        raise CaseError(_l("This document was destroyed; it cannot be checked."))
    refusal = check_refusal(item, actor)
    if refusal is not None:
        raise CaseError(refusal)
    if item.checked_at is not None:
        return
    item.checked_by_id = actor.id
    item.checked_at = utcnow()
    audit.record_change(item, actor, "evidence.checked", evidence_id=item.id)


def destroy_evidence_file(item: EvidenceItem, *, actor: User | None = None) -> None:
    """Delete the encrypted file (used by erasure). A plain unlink is enough: the bytes on
    disk are ciphertext, and overwriting in place is not reliable on SSDs or copy-on-write
    file systems anyway. The file goes before the commit: an erasure that fails half-way
    should leave less data behind, not more."""
    if item.destroyed_at is not None:
        return
    if item.storage_key is not None:
        _path_of(item.storage_key).unlink(missing_ok=True)
    item.original_filename = None
    item.destroyed_at = utcnow()
    audit.record_change(item, actor, "evidence.destroyed", evidence_id=item.id)


def download_name(item: EvidenceItem) -> str:
    """A neutral name: the original one may carry the person's name."""
    return f"evidence-{item.id}.{EXTENSIONS.get(item.content_type or '', 'bin')}"


# Storage --------------------------------------------------------------------------------


def files_root() -> Path:
    return Path(str(current_app.config["NGO_FILES_PATH"]))


def _path_of(storage_key: str) -> Path:
    if len(storage_key) != 32 or not all(c in "0123456789abcdef" for c in storage_key):
        raise ValueError("not a storage key")  # keys are ours; anything else is a bug
    return files_root() / storage_key[:2] / storage_key


def _write_encrypted(storage_key: str, data: bytes) -> Path:
    """Write atomically (a .part file renamed into place), readable by the owner only."""
    path = _path_of(storage_key)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    token = encrypt_bytes(data)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(token)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def _forget_on_rollback(path: Path) -> None:
    db.session().info.setdefault(_PENDING_KEY, []).append(path)


def init_app() -> None:
    """Files written for a transaction that rolls back are removed (called by cases.init_app)."""
    listen(Session, "after_commit", _keep_committed_files)
    listen(Session, "after_transaction_end", _remove_uncommitted_files)


def _keep_committed_files(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def _remove_uncommitted_files(session: Session, transaction: SessionTransaction) -> None:
    # Runs after after_commit, so only files of a rolled-back or abandoned transaction remain.
    if transaction.parent is not None:
        return
    for path in session.info.pop(_PENDING_KEY, []):
        path.unlink(missing_ok=True)
