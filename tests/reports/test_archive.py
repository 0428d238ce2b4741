"""The report archive: PDF/A-3b, signed with the organisation's key (checked by pyHanko's
validator), fingerprinted with the SHA-256 of the bytes kept."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from sqlalchemy import text

from ngo.accounts.models import Organisation
from ngo.cases.models.consent import ConsentAudience
from ngo.extensions import db
from ngo.reports.archive import archive_report, sha256_hex, stored_file_intact
from ngo.reports.models import Report, ReportKind, ReportStatus, SigningKeySource
from ngo.reports.signing import (
    SigningKeyError,
    check_signature,
    sign_pdf,
    signing_key_for,
    upload_pkcs12,
)
from ngo.timeutil import utcnow
from tests import factories

HTML = (
    "<html><head><title>Звіт</title></head>"
    "<body><h1>Raport zbiórki</h1><p>Łódź, Мінск</p></body></html>"
)


def _report(organisation: Organisation) -> Report:
    report = Report(
        organisation_id=organisation.id,
        kind=ReportKind.APPEAL,
        audience=ConsentAudience.PUBLIC_PAGE,
    )
    db.session.add(report)
    db.session.flush()
    return report


def test_an_archived_report_is_pdf_a_signed_by_the_organisation_and_fingerprinted(
    organisation: Organisation,
) -> None:
    organisation.legal_name = "Fundacja Wolność"
    report = _report(organisation)

    archive_report(report, HTML, data={"raised": 1200})

    assert report.status == ReportStatus.DONE and report.progress == 100
    assert report.finished_at is not None and report.data == {"raised": 1200}
    assert report.pdf is not None and report.sha256 == sha256_hex(report.pdf)
    assert stored_file_intact(report)
    reader = pypdf.PdfReader(io.BytesIO(report.pdf))
    assert "Łódź, Мінск" in reader.pages[0].extract_text()
    # WeasyPrint's PDF/A-3b: an output intent, and XMP metadata naming part 3, level B.
    root = reader.trailer["/Root"]
    assert root["/OutputIntents"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    key = signing_key_for(organisation)
    check = check_signature(report.pdf, trust_roots=[key.certificate])
    assert check.intact and check.valid and check.trusted and check.covers_whole_file
    assert "Fundacja Wolność" in check.signer


def test_a_changed_byte_breaks_the_signature_and_the_fingerprint(
    organisation: Organisation,
) -> None:
    report = _report(organisation)
    archive_report(report, HTML)
    assert report.pdf is not None
    tampered = report.pdf.replace(b"Raport", b"Raport", 1)
    if tampered == report.pdf:  # the text is in a compressed stream: flip a byte inside it
        middle = len(report.pdf) // 3
        tampered = report.pdf[:middle] + bytes([report.pdf[middle] ^ 1]) + report.pdf[middle + 1 :]

    report.pdf = tampered

    assert not stored_file_intact(report)
    key = signing_key_for(organisation)
    assert not check_signature(tampered, trust_roots=[key.certificate]).intact


def test_another_organisations_certificate_does_not_vouch_for_the_report(
    organisation: Organisation,
) -> None:
    other = factories.OrganisationFactory()
    report = _report(organisation)
    archive_report(report, HTML)
    assert report.pdf is not None

    check = check_signature(report.pdf, trust_roots=[signing_key_for(other).certificate])

    assert check.intact and not check.trusted


def test_the_signing_key_is_generated_once_and_stored_encrypted(
    organisation: Organisation,
) -> None:
    key = signing_key_for(organisation)

    assert signing_key_for(organisation).id == key.id
    assert key.source == SigningKeySource.GENERATED
    raw = db.session.execute(
        text("select private_key from report_signing_keys where id = :id"), {"id": key.id}
    ).scalar_one()
    assert bytes(raw) != key.private_key and key.private_key not in bytes(raw)
    serialization.load_der_private_key(key.private_key, password=None)  # decrypts to the key


def _pkcs12(password: bytes) -> tuple[bytes, x509.Certificate]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fundacja z certyfikatem")])
    now = utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(private_key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"ngo", private_key, certificate, None, serialization.BestAvailableEncryption(password)
    )
    return data, certificate


def test_an_uploaded_pkcs12_replaces_the_generated_key_and_signs_later_reports(
    organisation: Organisation,
) -> None:
    generated = signing_key_for(organisation)
    first = _report(organisation)
    archive_report(first, HTML)
    data, certificate = _pkcs12(b"s3cret")

    uploaded = upload_pkcs12(organisation, data, "s3cret")
    second = _report(organisation)
    archive_report(second, HTML)

    assert uploaded.id == generated.id and uploaded.source == SigningKeySource.UPLOADED
    der = certificate.public_bytes(serialization.Encoding.DER)
    assert second.pdf is not None and first.pdf is not None
    assert check_signature(second.pdf, trust_roots=[der]).trusted
    # The earlier report still carries, and is vouched for by, the generated certificate.
    assert check_signature(first.pdf, trust_roots=[generated_der(first.pdf)]).intact


def generated_der(pdf: bytes) -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader

    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    return bytes(signature.signer_cert.dump())


@pytest.mark.parametrize(
    ("archive", "password"),
    [(b"not a pkcs12 file", "x"), (None, "wrong")],
)
def test_an_unusable_pkcs12_is_refused_and_leaves_the_key_as_it_was(
    organisation: Organisation, archive: bytes | None, password: str
) -> None:
    key = signing_key_for(organisation)
    fingerprint = key.fingerprint
    data = archive if archive is not None else _pkcs12(b"right")[0]

    with pytest.raises(SigningKeyError):
        upload_pkcs12(organisation, data, password)

    assert signing_key_for(organisation).fingerprint == fingerprint


def test_signing_appends_to_the_rendered_file_without_changing_it(
    organisation: Organisation,
) -> None:
    from ngo.reports.archive import render_archival_pdf

    pdf = render_archival_pdf(HTML)

    signed = sign_pdf(pdf, signing_key_for(organisation), reason="test")

    assert signed.startswith(pdf) and len(signed) > len(pdf)
