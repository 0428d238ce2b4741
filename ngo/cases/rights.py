"""Data-subject rights: a copy of everything held about a person, and erasure.

Erasure anonymises rather than deletes: the beneficiary row, its reference, status and
organisation stay, because donations, budgets and the audit chain point at it and must still
add up. What goes is everything that says who the person is or what happened to them.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, delete, select, update
from sqlalchemy.orm import selectinload

from ngo import audit, signals
from ngo.accounts.models import Organisation, User
from ngo.cases.errors import CaseError
from ngo.cases.evidence import (
    EXTENSIONS,
    EvidenceFileMissing,
    destroy_evidence_file,
    read_evidence_file,
)
from ngo.cases.models import (
    Beneficiary,
    BeneficiaryNameIndex,
    CaseNote,
    CaseTask,
    Consent,
    EvidenceItem,
    HouseholdMember,
    Story,
    StoryVersion,
    Verification,
    VerificationCheck,
)
from ngo.crypto import EncryptedText
from ngo.extensions import db
from ngo.timeutil import utcnow

EXPORT_FORMAT = "ngo-case-export/1"


class ErasureReason(StrEnum):
    """Why a case was erased: the only detail the audit log keeps about an erasure."""

    PERSON_ASKED = "person_asked"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    NO_LONGER_NEEDED = "no_longer_needed"
    RECORDED_WRONGLY = "recorded_wrongly"


ERASURE_REASON_LABELS = {
    ErasureReason.PERSON_ASKED: _l("The person asked for their data to be erased"),
    ErasureReason.CONSENT_WITHDRAWN: _l("The person withdrew the consent the data relied on"),
    ErasureReason.NO_LONGER_NEEDED: _l("The data is no longer needed for the case"),
    ErasureReason.RECORDED_WRONGLY: _l("The data should never have been recorded"),
}

# Rows that say nothing once their personal fields are gone: deleted by erasure.
DELETED_ON_ERASURE: tuple[type[Any], ...] = (HouseholdMember, CaseNote, BeneficiaryNameIndex)
# Rows that keep a meaning without their personal fields (a task was due, consent was given,
# a document existed and was checked, a story was verified): kept, their encrypted columns
# emptied. Listed by model, the columns found by type, so a new encrypted column is covered.
ANONYMISED_ON_ERASURE: tuple[type[Any], ...] = (
    Beneficiary,
    CaseTask,
    Consent,
    EvidenceItem,
    StoryVersion,
    Verification,
    VerificationCheck,
)


def encrypted_columns(model: type[Any]) -> list[Column[Any]]:
    return [c for c in model.__table__.columns if isinstance(c.type, EncryptedText)]


# Export -----------------------------------------------------------------------------------

README = """\
What this file contains
=======================

This is a copy of everything {organisation} holds about you in its case
management system, as it was on {exported_at} (UTC). Case reference: {reference}.

case.json
    All recorded information, in a format any computer can read (JSON; it
    opens in a text editor too). It contains:
    - person: your name(s), date of birth, nationality, where you live, how to
      reach you, your legal status, needs and vulnerabilities as recorded;
    - case: the status of your case and when it was opened, changed or closed;
    - household: the members of your household that were recorded;
    - consents: what you agreed may be shown, to whom, from when until when,
      how you agreed (signed form or spoken in front of a witness), and
      whether you withdrew it;
    - notes and tasks: what staff wrote down about your case and what they
      planned to do;
    - documents: the list of documents and links kept as evidence;
    - story: every version of your story that was written, and the decisions
      of the people who checked it.
    Staff members are not named: only what was recorded about you is included.

documents/
    The documents themselves, as they were stored. Each file name starts with
    the number the document has in case.json, followed by its kind.
    Photos were stored without their hidden data (such as GPS position).
    A document listed without a file was destroyed or is a web link.

Keep this file somewhere safe: it holds your personal data, unencrypted.
"""


@dataclass(frozen=True)
class _Document:
    number: int
    item: EvidenceItem
    path: str | None
    data: bytes | None


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def export_case(beneficiary: Beneficiary, *, actor: User) -> bytes:
    """A ZIP of case.json, README.txt and the decrypted documents. Built in memory: written
    to a temporary file, the decrypted documents would sit unencrypted on the server's disk."""
    documents = _documents(beneficiary)
    exported_at = utcnow()
    payload = _case_payload(beneficiary, documents, exported_at)
    organisation = db.session.get(Organisation, beneficiary.organisation_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "README.txt",
            README.format(
                organisation=organisation.name if organisation else "the organisation",
                exported_at=exported_at.strftime("%Y-%m-%d %H:%M"),
                reference=beneficiary.reference,
            ),
        )
        archive.writestr("case.json", json.dumps(payload, ensure_ascii=False, indent=2))
        for document in documents:
            if document.path is not None and document.data is not None:
                # PDFs, JPEGs and PNGs are compressed already; deflating them again is waste.
                archive.writestr(document.path, document.data, compress_type=zipfile.ZIP_STORED)
    audit.record_change(
        beneficiary,
        actor,
        "case.exported",
        documents=sum(1 for d in documents if d.data is not None),
    )
    return buffer.getvalue()


def _documents(beneficiary: Beneficiary) -> list[_Document]:
    items = db.session.scalars(
        select(EvidenceItem)
        .where(EvidenceItem.beneficiary_id == beneficiary.id)
        .order_by(EvidenceItem.uploaded_at, EvidenceItem.id)
    ).all()
    documents = []
    for number, item in enumerate(items, start=1):
        data = None
        if item.storage_key is not None and item.destroyed_at is None:
            try:
                data = read_evidence_file(item)
            except EvidenceFileMissing:
                data = None
        path = None
        if data is not None:
            extension = EXTENSIONS.get(item.content_type or "", "bin")
            path = f"documents/{number}-{item.kind}.{extension}"
        documents.append(_Document(number, item, path, data))
    return documents


def _case_payload(
    beneficiary: Beneficiary, documents: list[_Document], exported_at: datetime
) -> dict[str, Any]:
    number_of = {d.item.id: d.number for d in documents}
    b = beneficiary
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(exported_at),
        "case": {
            "reference": b.reference,
            "status": b.status,
            "risk_level": b.risk_level,
            "created_at": _iso(b.created_at),
            "updated_at": _iso(b.updated_at),
            "closed_at": _iso(b.closed_at),
            "closed_reason": b.closed_reason,
            "erased_at": _iso(b.erased_at),
        },
        "person": {
            "legal_name": b.legal_name,
            "public_name": b.public_name,
            "date_of_birth": b.date_of_birth_text,
            "nationality": b.nationality,
            "country_of_residence": b.country_of_residence,
            "city_of_residence": b.city_of_residence,
            "phone": b.phone,
            "email": b.email,
            "messenger": b.messenger,
            "legal_status": b.legal_status,
            "needs": b.needs,
            "vulnerabilities": b.vulnerabilities,
        },
        "household": [
            {
                "relationship": m.relationship_to_beneficiary,
                "first_name": m.first_name,
                "age": m.age,
            }
            for m in b.household
        ],
        "consents": [
            {
                "item": c.item,
                "audience": c.audience,
                "given_on": _iso(c.given_on),
                "expires_on": _iso(c.expires_on),
                "method": c.method,
                "witness_name": c.witness_name,
                "signed_form_document": None
                if c.form_evidence_id is None
                else number_of.get(c.form_evidence_id),
                "recorded_at": _iso(c.recorded_at),
                "withdrawn_at": _iso(c.withdrawn_at),
            }
            for c in db.session.scalars(
                select(Consent)
                .where(Consent.beneficiary_id == b.id)
                .order_by(Consent.given_on, Consent.id)
            )
        ],
        "notes": [
            {"written_at": _iso(n.created_at), "text": n.body}
            for n in sorted(b.notes, key=lambda n: (n.created_at, n.id))
        ],
        "tasks": [
            {
                "title": t.title,
                "due_date": _iso(t.due_date),
                "created_at": _iso(t.created_at),
                "done_at": _iso(t.done_at),
            }
            for t in b.tasks
        ],
        "documents": [
            {
                "number": d.number,
                "kind": d.item.kind,
                "title": d.item.title,
                "original_filename": d.item.original_filename,
                "content_type": d.item.content_type,
                "size_bytes": d.item.size_bytes,
                "source_url": d.item.source_url,
                "source_date": _iso(d.item.source_date),
                "uploaded_at": _iso(d.item.uploaded_at),
                "checked_at": _iso(d.item.checked_at),
                "destroyed_at": _iso(d.item.destroyed_at),
                "file": d.path,
            }
            for d in documents
        ],
        "story": _story_payload(b, number_of),
    }


def _story_payload(beneficiary: Beneficiary, number_of: dict[int, int]) -> list[dict[str, Any]]:
    versions = db.session.scalars(
        select(StoryVersion)
        .join(Story)
        .where(Story.beneficiary_id == beneficiary.id)
        .order_by(Story.id, StoryVersion.number)
        .options(selectinload(StoryVersion.verifications).selectinload(Verification.checks))
    ).all()
    return [
        {
            "version": v.number,
            "title": v.title,
            "text": v.body_markdown,
            "status": v.status,
            "created_at": _iso(v.created_at),
            "submitted_at": _iso(v.submitted_at),
            "verifications": [
                {
                    "approved": ver.approved,
                    "decided_at": _iso(ver.decided_at),
                    "valid_until": _iso(ver.expires_at),
                    "comments": ver.comments,
                    "checks": [
                        {
                            "check": check.check,
                            "passed": check.passed,
                            "note": check.note,
                            "document": number_of.get(check.evidence_item_id or 0),
                            "documents": [number_of.get(i) for i in check.evidence_ids],
                        }
                        for check in ver.checks
                    ],
                }
                for ver in v.verifications
            ],
        }
        for v in versions
    ]


# Erasure ----------------------------------------------------------------------------------


def anonymised_rows(beneficiary_id: int) -> dict[type[Any], Any]:
    """Per model of ANONYMISED_ON_ERASURE (but the beneficiary itself), which rows are the
    person's."""
    version_ids = select(StoryVersion.id).join(Story).where(Story.beneficiary_id == beneficiary_id)
    verification_ids = select(Verification.id).where(Verification.story_version_id.in_(version_ids))
    return {
        CaseTask: CaseTask.beneficiary_id == beneficiary_id,
        Consent: Consent.beneficiary_id == beneficiary_id,
        EvidenceItem: EvidenceItem.beneficiary_id == beneficiary_id,
        StoryVersion: StoryVersion.id.in_(version_ids),
        Verification: Verification.id.in_(verification_ids),
        VerificationCheck: VerificationCheck.verification_id.in_(verification_ids),
    }


def erase_case(beneficiary: Beneficiary, *, actor: User, reason_code: str) -> bool:
    """Anonymise the case; True if it was erased now, False if it had been already.

    Running it again on an erased case scrubs again (harmless) and records nothing. The
    evidence files are deleted before the caller commits: if the commit then fails, the case
    is not marked erased and running the erasure again finishes the job."""
    try:
        reason = ErasureReason(reason_code)
    except ValueError:
        raise CaseError(_l("Choose why the case is erased."), field="reason") from None
    first_time = beneficiary.erased_at is None
    b_id = beneficiary.id

    beneficiary.household.clear()
    beneficiary.notes.clear()
    db.session.execute(
        delete(BeneficiaryNameIndex).where(BeneficiaryNameIndex.beneficiary_id == b_id)
    )
    for column in encrypted_columns(Beneficiary):
        setattr(beneficiary, Beneficiary.__mapper__.get_property_by_column(column).key, None)

    for model, where in anonymised_rows(b_id).items():
        db.session.execute(
            update(model)
            .where(where)
            .values(dict.fromkeys(encrypted_columns(model)))
            .execution_options(synchronize_session="fetch")
        )

    for item in db.session.scalars(select(EvidenceItem).where(EvidenceItem.beneficiary_id == b_id)):
        destroy_evidence_file(item, actor=actor)
    # Other domains keep copies of consented text (an appeal's story): they receive this signal,
    # so that erasure reaches them without the cases domain importing theirs.
    signals.case_erased.send(beneficiary, actor=actor)

    if first_time:
        beneficiary.erased_at = utcnow()
        audit.record(
            "case.erased",
            actor_id=actor.id,
            organisation_id=beneficiary.organisation_id,
            object_type="case",
            object_id=b_id,
            details={"reason": reason.value},
        )
    db.session.flush()
    return first_time
