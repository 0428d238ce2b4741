"""Data-subject rights: a complete export, and erasure that leaves nothing personal behind
while the case row, its finances and the audit chain stay intact."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from ngo import audit
from ngo.accounts.models import User
from ngo.audit import AuditEvent
from ngo.cases import consent, evidence, listing, rights, services, stories, verification
from ngo.cases.errors import CaseError
from ngo.cases.listing import CaseFilters
from ngo.cases.models import (
    Beneficiary,
    BeneficiaryNameIndex,
    CaseNote,
    CaseTask,
    CheckKind,
    Consent,
    ConsentAudience,
    ConsentItem,
    ConsentMethod,
    EvidenceItem,
    EvidenceKind,
    HouseholdMember,
    StoryVersion,
    Verification,
    VerificationCheck,
)
from ngo.cases.services import BeneficiaryData
from ngo.crypto import EncryptedBytes, EncryptedText
from ngo.extensions import db
from tests import factories
from tests.conftest import login

PERSONAL = {
    "legal_name": "Гаўрыла Шклянік",
    "public_name": "Havryla S.",
    "nationality": "Belarusian-Kryvic",
    "country_of_residence": "Lithuania-Zemaitija",
    "city_of_residence": "Šalčininkai-Vieta",
    "phone": "+370 600 55 44 33",
    "email": "havryla.shklianik@example.net",
    "messenger": "@havryla_signal_handle",
    "legal_status": "Humanitarian visa pending-X",
    "needs": "Rent for a flat near Vilnius-Needs",
    "vulnerabilities": "Diabetes type one-Vuln",
}
OTHER_VALUES = {
    "household_name": "Ядвіга-Household",
    "household_relationship": "Spouse-Relation",
    "note": "Met at the Vilnius office, worried about summons-Note",
    "task": "Call the lawyer about the appeal-Task",
    "witness": "Witness Ona Kazlauskaite",
    "closed_reason": "Moved to Canada-Closed",
    "document_title": "Verdict of the Homiel court-Title",
    "document_filename": "shklianik_verdict.pdf",
    "listing_title": "Viasna listing-Title",
    "listing_url": "https://prisoners.example.org/shklianik-gauryla",
    "story_title": "Six years for a protest song-Story",
    "story_body": "Havryla was arrested in Homiel in 2020 for singing-Body",
    "comments": "Please add the date of release-Comment",
    "check_note": "Passport seen in person-CheckNote",
}
FORMER_VALUES = [*PERSONAL.values(), *OTHER_VALUES.values()]


def small_pdf() -> bytes:
    return factories.blank_pdf(width=200, height=200, title="Shklianik court verdict PDF-Metadata")


def build_full_case(organisation: factories.Organisation, admin: User, verifier: User) -> Any:
    """A case with something in every personal field, made through the real services."""
    case = services.create_beneficiary(
        organisation.id,
        BeneficiaryData(**PERSONAL, date_of_birth=date(1987, 3, 14)),
        actor=admin,
    )
    services.add_household_member(
        case,
        relationship=OTHER_VALUES["household_relationship"],
        first_name=OTHER_VALUES["household_name"],
        age=9,
        actor=admin,
    )
    services.add_note(case, OTHER_VALUES["note"], actor=admin)
    services.add_task(
        case,
        title=OTHER_VALUES["task"],
        due_date=date.today() + timedelta(days=3),
        assignee_id=admin.id,
        actor=admin,
    )
    pdf = small_pdf()
    document = evidence.upload_evidence(
        case,
        kind=EvidenceKind.COURT_VERDICT,
        title=OTHER_VALUES["document_title"],
        data=pdf,
        filename=OTHER_VALUES["document_filename"],
        actor=admin,
    )
    evidence.add_listing(
        case,
        title=OTHER_VALUES["listing_title"],
        url=OTHER_VALUES["listing_url"],
        listed_on=date(2021, 5, 1),
        actor=admin,
    )
    consent.record_consent(
        case,
        items=[ConsentItem.PUBLIC_NAME, ConsentItem.STORY],
        audiences=[ConsentAudience.PUBLIC_PAGE],
        given_on=date(2024, 1, 10),
        expires_on=date(2030, 1, 10),
        method=ConsentMethod.VERBAL_WITNESSED,
        witness_name=OTHER_VALUES["witness"],
        form_evidence_id=None,
        actor=admin,
    )
    version = stories.start_story(
        case, title=OTHER_VALUES["story_title"], body=OTHER_VALUES["story_body"], actor=admin
    )
    stories.submit_for_verification(version, actor=admin)
    verification.verify_version(
        version,
        verifier=verifier,
        approved=False,
        checks=[
            verification.CheckResult(
                CheckKind.IDENTITY,
                passed=True,
                evidence_item_id=document.id,
                note=OTHER_VALUES["check_note"],
            )
        ],
        comments=OTHER_VALUES["comments"],
    )
    services.change_status(
        case, services.CaseStatus.CLOSED, reason=OTHER_VALUES["closed_reason"], actor=admin
    )
    db.session.commit()
    return case, pdf


@pytest.fixture
def verifier(make_user) -> User:
    return make_user("verifier")


@pytest.fixture
def full_case(organisation, admin, verifier):
    return build_full_case(organisation, admin, verifier)


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def _everything_decrypted() -> str:
    """Every value of every table, encrypted columns decrypted: what a thief with the keys sees."""
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            parts.extend(repr(v) for v in row)
    return "\n".join(parts)


def _files_decrypted(app: Flask) -> list[bytes]:
    root = Path(app.config["NGO_FILES_PATH"])
    from ngo.crypto import decrypt_bytes

    return [decrypt_bytes(p.read_bytes()) for p in root.rglob("*") if p.is_file()]


# Export -----------------------------------------------------------------------------------


def test_export_holds_every_decrypted_field_and_the_documents(full_case, admin):
    case, pdf = full_case
    data = rights.export_case(case, actor=admin)
    db.session.commit()
    archive = _zip(data)
    names = archive.namelist()
    assert "README.txt" in names and "case.json" in names
    exported = json.loads(archive.read("case.json"))

    assert exported["person"]["legal_name"] == PERSONAL["legal_name"]
    for key, value in PERSONAL.items():
        assert exported["person"][key] == value
    assert exported["person"]["date_of_birth"] == "1987-03-14"
    assert exported["case"]["reference"] == case.reference
    assert exported["case"]["closed_reason"] == OTHER_VALUES["closed_reason"]
    assert exported["household"] == [
        {
            "relationship": OTHER_VALUES["household_relationship"],
            "first_name": OTHER_VALUES["household_name"],
            "age": 9,
        }
    ]
    assert [n["text"] for n in exported["notes"]] == [OTHER_VALUES["note"]]
    assert [t["title"] for t in exported["tasks"]] == [OTHER_VALUES["task"]]
    consents = exported["consents"]
    assert {(c["item"], c["audience"]) for c in consents} == {
        ("public_name", "public_page"),
        ("story", "public_page"),
    }
    assert all(c["given_on"] == "2024-01-10" and c["expires_on"] == "2030-01-10" for c in consents)
    assert all(c["method"] == "verbal_witnessed" for c in consents)
    assert all(c["witness_name"] == OTHER_VALUES["witness"] for c in consents)

    documents = exported["documents"]
    assert [d["kind"] for d in documents] == ["court_verdict", "human_rights_listing"]
    verdict, listing = documents
    assert verdict["title"] == OTHER_VALUES["document_title"]
    assert verdict["original_filename"] == OTHER_VALUES["document_filename"]
    assert verdict["file"] == "documents/1-court_verdict.pdf"
    assert archive.read(verdict["file"]) == pdf
    assert listing["source_url"] == OTHER_VALUES["listing_url"]
    assert listing["source_date"] == "2021-05-01"
    assert listing["file"] is None

    (version,) = exported["story"]
    assert version["title"] == OTHER_VALUES["story_title"]
    assert version["text"] == OTHER_VALUES["story_body"]
    (decision,) = version["verifications"]
    assert decision["approved"] is False
    assert decision["comments"] == OTHER_VALUES["comments"]
    assert decision["checks"] == [
        {
            "check": "identity",
            "passed": True,
            "note": OTHER_VALUES["check_note"],
            "document": 1,
            "documents": [1],
        }
    ]
    # Dates are ISO 8601 strings.
    assert date.fromisoformat(exported["exported_at"][:10])


def test_export_has_no_internal_secrets_and_is_audited_without_personal_values(full_case, admin):
    case, _ = full_case
    data = rights.export_case(case, actor=admin)
    db.session.commit()
    archive = _zip(data)
    case_json = archive.read("case.json").decode()
    storage_key = db.session.scalars(
        select(EvidenceItem.storage_key).where(EvidenceItem.storage_key.is_not(None))
    ).one()
    assert storage_key not in case_json
    assert "storage_key" not in case_json
    assert admin.email not in case_json and admin.display_name not in case_json
    readme = archive.read("README.txt").decode()
    assert case.reference in readme and "case.json" in readme and "documents/" in readme

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.exported")).one()
    assert event.object_id == str(case.id)
    assert event.details == {"documents": 1}
    assert audit.verify_chain().ok


# Erasure ----------------------------------------------------------------------------------


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_erasure_empties_every_personal_field_and_keeps_the_case_row(app, full_case, admin):
    case, _ = full_case
    case_id, reference, org_id = case.id, case.reference, case.organisation_id
    assert rights.erase_case(case, actor=admin, reason_code="person_asked") is True
    db.session.commit()
    db.session.expire_all()

    kept = db.session.get(Beneficiary, case_id)
    assert kept.reference == reference and kept.organisation_id == org_id
    assert kept.status == "closed" and kept.erased_at is not None
    for column in rights.encrypted_columns(Beneficiary):
        assert (
            db.session.execute(select(column).where(Beneficiary.id == case_id)).scalar_one() is None
        ), column.name
    assert kept.display_label == f"[erased {reference}]"

    assert _count(HouseholdMember) == 0
    assert _count(CaseNote) == 0
    assert _count(BeneficiaryNameIndex) == 0
    task = db.session.scalars(select(CaseTask)).one()
    assert task.title is None and task.due_date is not None
    consents = db.session.scalars(select(Consent)).all()
    assert len(consents) == 2 and all(c.witness_name is None for c in consents)
    assert all(c.given_on == date(2024, 1, 10) for c in consents)
    for item in db.session.scalars(select(EvidenceItem)):
        assert item.title is None and item.original_filename is None and item.source_url is None
        assert item.destroyed_at is not None
    version = db.session.scalars(select(StoryVersion)).one()
    assert version.title is None and version.body_markdown is None
    assert db.session.scalars(select(Verification)).one().comments is None
    assert db.session.scalars(select(VerificationCheck)).one().note is None

    assert _files_decrypted(app) == []
    assert audit.verify_chain().ok
    erased = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.erased")).one()
    assert erased.details == {"reason": "person_asked"}
    assert erased.object_id == str(case_id)


def test_after_erasure_no_table_and_no_file_holds_a_former_value(app, full_case, admin):
    case, pdf = full_case
    before = _everything_decrypted()
    assert PERSONAL["legal_name"] in before  # the scan does see decrypted values
    rights.erase_case(case, actor=admin, reason_code="consent_withdrawn")
    db.session.commit()
    db.session.expire_all()

    after = _everything_decrypted()
    for value in FORMER_VALUES:
        assert value not in after, value
    assert "1987-03-14" not in after
    raw = [
        row
        for table in db.metadata.sorted_tables
        # Table names come from the schema, not from input.
        for row in db.session.execute(text(f'SELECT * FROM "{table.name}"'))  # noqa: S608
    ]
    raw_text = repr(raw).encode()
    for value in FORMER_VALUES:
        assert value.encode() not in raw_text
    assert all(pdf not in data for data in _files_decrypted(app))


def test_after_erasure_search_finds_nothing_and_the_export_is_empty(full_case, admin):
    case, _ = full_case
    org_id = case.organisation_id
    assert listing.list_cases(org_id, CaseFilters(name="Havryla"))[1] == 1
    rights.erase_case(case, actor=admin, reason_code="person_asked")
    db.session.commit()

    for query in ("Гаўрыла", "Havryla", "Shklianik", "Гаўрыла Шклянік"):
        assert listing.list_cases(org_id, CaseFilters(name=query)) == ([], 0)
    archive = _zip(rights.export_case(case, actor=admin))
    db.session.commit()
    assert not any(n.startswith("documents/") for n in archive.namelist())
    case_json = archive.read("case.json").decode()
    for value in FORMER_VALUES:
        assert value not in case_json
    exported = json.loads(case_json)
    assert set(exported["person"].values()) == {None}
    assert exported["household"] == [] and exported["notes"] == []
    assert exported["case"]["erased_at"] is not None


def test_erasure_is_idempotent(full_case, admin):
    case, _ = full_case
    assert rights.erase_case(case, actor=admin, reason_code="person_asked") is True
    db.session.commit()
    events = _count(AuditEvent)
    assert rights.erase_case(case, actor=admin, reason_code="person_asked") is False
    db.session.commit()
    assert _count(AuditEvent) == events
    assert audit.verify_chain().ok


def test_erasure_needs_a_known_reason(full_case, admin):
    case, _ = full_case
    with pytest.raises(CaseError):
        rights.erase_case(case, actor=admin, reason_code="because")
    db.session.rollback()
    assert db.session.get(Beneficiary, case.id).legal_name == PERSONAL["legal_name"]


def test_erasure_leaves_other_cases_alone(organisation, full_case, admin):
    other = factories.BeneficiaryFactory(organisation=organisation, legal_name="Ihar Untouched")
    services.add_note(other, "A note that stays", actor=admin)
    db.session.commit()
    rights.erase_case(full_case[0], actor=admin, reason_code="no_longer_needed")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Beneficiary, other.id).legal_name == "Ihar Untouched"
    assert [n.body for n in db.session.scalars(select(CaseNote))] == ["A note that stays"]
    assert listing.list_cases(organisation.id, CaseFilters(name="Ihar"))[1] == 1


def test_every_table_with_personal_columns_is_covered_by_erasure():
    """A new encrypted column must be either erased or consciously left out (staff data)."""
    covered = {m.__table__.name for m in rights.DELETED_ON_ERASURE + rights.ANONYMISED_ON_ERASURE}
    # Staff and donors' addresses; concern reports, review snapshots, sealed photos and
    # updates' return reasons are removed by the appeals' erasure step
    # (campaigns.services.erase_public_copies, tested in tests/campaigns/test_publication.py).
    # Funders' contacts and organisations' signing keys are not about beneficiaries either.
    not_about_beneficiaries = {"users", "update_subscriptions", "funders", "report_signing_keys"}
    appeals_step = {"concern_reports", "review_snapshots", "public_images", "appeal_updates"}
    # Donors' data goes at the donor's request (donations.rights, tests/donations); payment
    # notes with the case (donations.erasure, below).
    donors_data = {"donors", "donations", "statement_lines", "receipts"}
    payments_step = {"disbursements"}
    with_personal_columns = {
        t.name
        for t in db.metadata.sorted_tables
        if any(isinstance(c.type, EncryptedText | EncryptedBytes) for c in t.columns)
    }
    assert with_personal_columns <= (
        covered | not_about_beneficiaries | appeals_step | donors_data | payments_step
    )
    # ...and each anonymised model says which of its rows belong to the person.
    assert {Beneficiary, *rights.anonymised_rows(1)} == set(rights.ANONYMISED_ON_ERASURE)


# Views ------------------------------------------------------------------------------------


@pytest.fixture
def other_org_admin() -> User:
    return factories.UserFactory(role="admin", organisation=factories.OrganisationFactory())


def test_admin_sees_the_rights_page(admin_client: FlaskClient, full_case):
    case, _ = full_case
    response = admin_client.get(f"/cases/{case.reference}/rights")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"/cases/{case.reference}/export" in page
    assert f"/cases/{case.reference}/erase" in page


@pytest.mark.parametrize("role", ["caseworker", "verifier"])
def test_other_roles_may_neither_export_nor_erase(client, make_user, full_case, role):
    case, _ = full_case
    login(client, make_user(role))
    assert client.get(f"/cases/{case.reference}/rights").status_code == 403
    assert client.post(f"/cases/{case.reference}/export").status_code == 403
    erase = client.post(
        f"/cases/{case.reference}/erase",
        data={"reason": "person_asked", "confirmation": case.reference},
    )
    assert erase.status_code == 403
    db.session.expire_all()
    assert db.session.get(Beneficiary, case.id).erased_at is None


def test_admin_of_another_organisation_gets_404(client, other_org_admin, full_case):
    case, _ = full_case
    login(client, other_org_admin)
    assert client.get(f"/cases/{case.reference}/rights").status_code == 404
    assert client.post(f"/cases/{case.reference}/export").status_code == 404
    erase = client.post(
        f"/cases/{case.reference}/erase",
        data={"reason": "person_asked", "confirmation": case.reference},
    )
    assert erase.status_code == 404
    db.session.expire_all()
    assert db.session.get(Beneficiary, case.id).erased_at is None


def test_export_download_has_a_neutral_name_and_is_not_cached(admin_client, full_case):
    case, pdf = full_case
    response = admin_client.post(f"/cases/{case.reference}/export")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="case-{case.reference}.zip"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    archive = _zip(response.get_data())
    assert json.loads(archive.read("case.json"))["person"]["legal_name"] == PERSONAL["legal_name"]
    assert archive.read("documents/1-court_verdict.pdf") == pdf


def test_erasure_with_the_wrong_reference_erases_nothing(admin_client, full_case):
    case, _ = full_case
    response = admin_client.post(
        f"/cases/{case.reference}/erase",
        data={"reason": "person_asked", "confirmation": "not-the-reference"},
    )
    assert response.status_code == 400
    assert "Nothing was erased" in response.get_data(as_text=True)
    empty = admin_client.post(
        f"/cases/{case.reference}/erase", data={"reason": "person_asked", "confirmation": ""}
    )
    assert empty.status_code == 400
    db.session.expire_all()
    kept = db.session.get(Beneficiary, case.id)
    assert kept.erased_at is None and kept.legal_name == PERSONAL["legal_name"]
    assert _count(CaseNote) == 1


def test_admin_erases_a_case_by_typing_its_reference(admin_client, full_case):
    case, _ = full_case
    response = admin_client.post(
        f"/cases/{case.reference}/erase",
        data={"reason": "recorded_wrongly", "confirmation": f" {case.reference} "},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.reference}/rights")
    db.session.expire_all()
    erased = db.session.get(Beneficiary, case.id)
    assert erased.erased_at is not None and erased.legal_name is None
    page = admin_client.get(f"/cases/{case.reference}/rights").get_data(as_text=True)
    assert PERSONAL["legal_name"] not in page
    assert audit.verify_chain().ok
