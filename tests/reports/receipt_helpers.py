"""Reading receipts back: their PDF's text (pypdf) and the mails they came in."""

from __future__ import annotations

import io
from email.message import Message

import pypdf
from sqlalchemy import select

from ngo.extensions import db
from ngo.reports.receipts.models import Receipt


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def attached_pdf(message: Message) -> tuple[str, bytes]:
    (part,) = [p for p in message.iter_attachments()]  # type: ignore[attr-defined]
    assert part.get_content_type() == "application/pdf"
    return part.get_filename(), part.get_content()


def receipts(**criteria: object) -> list[Receipt]:
    stmt = select(Receipt).filter_by(**criteria).order_by(Receipt.id)
    return list(db.session.scalars(stmt))
