"""The organisation's note on tax deductibility, one per language, printed on its receipts.

Donors read it, so it is a text for an audience like an appeal's: saved only if the
publication safety check finds no private value of a person the organisation helps (the
values each person agreed to show in donor e-mails are allowed, as in those e-mails)."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ngo import audit
from ngo.accounts.models import Organisation, User
from ngo.cases.models import ConsentAudience
from ngo.config import LANGUAGES
from ngo.donations import organisation_texts
from ngo.extensions import db
from ngo.reports.receipts.models import ReceiptTaxNote
from ngo.rules import RuleError

NOTE_MAX = 1000


class TaxNoteError(RuleError):
    pass


def field_name(language: str) -> str:
    return f"note_{language}"


def tax_notes_of(organisation: Organisation) -> dict[str, str]:
    return {
        note.language: note.text
        for note in db.session.scalars(
            select(ReceiptTaxNote).where(ReceiptTaxNote.organisation_id == organisation.id)
        )
    }


def _tidy(text: str) -> str:
    lines = [" ".join(line.split()) for line in (text or "").strip().splitlines()]
    return "\n".join(lines).strip()


def _check_safety(organisation: Organisation, texts: Mapping[str, str]) -> None:
    finding = organisation_texts.first_finding(organisation, texts, ConsentAudience.DONOR_EMAILS)
    if finding is not None:
        raise TaxNoteError(
            _l(
                "Private information about a person you help was found in this note. "
                "Remove it and save again."
            ),
            field=finding.field,
        )


def set_tax_notes(
    organisation: Organisation, notes: Mapping[str, str], *, actor: User
) -> list[str]:
    """Store the notes by language (an empty one is removed); returns the languages that
    changed. The audit event names the languages, never the text."""
    unknown = set(notes) - set(LANGUAGES)
    if unknown:
        raise TaxNoteError(_l("Choose a language from the list."))
    texts = {language: _tidy(text) for language, text in notes.items()}
    for language, text in texts.items():
        if len(text) > NOTE_MAX:
            raise TaxNoteError(
                _l("Use at most %(max)d characters here.", max=NOTE_MAX),
                field=field_name(language),
            )
    _check_safety(organisation, {field_name(lang): text for lang, text in texts.items()})
    stored = {
        note.language: note
        for note in db.session.scalars(
            select(ReceiptTaxNote).where(ReceiptTaxNote.organisation_id == organisation.id)
        )
    }
    changed = []
    for language, text in texts.items():
        note = stored.get(language)
        if note is not None and not text:
            db.session.delete(note)
        elif note is None and text:
            db.session.add(
                ReceiptTaxNote(organisation_id=organisation.id, language=language, text=text)
            )
        elif note is not None and note.text != text:
            note.text = text
        else:
            continue
        changed.append(language)
    if changed:
        audit.record(
            "receipts.tax_notes_changed",
            actor_id=actor.id,
            organisation_id=organisation.id,
            object_type="organisation",
            object_id=organisation.id,
            details={"languages": changed},
        )
        db.session.flush()
    return changed
