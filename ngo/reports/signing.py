"""PAdES signatures on the organisation's reports, through pyHanko.

Each organisation signs with its own key. Until an admin uploads one (a PKCS#12 from a
certificate authority, which a funder's software can trust by its chain), the first report
generates an EC P-256 key and a self-signed certificate naming the organisation's legal name:
that still proves a report unaltered since signing, and a funder who keeps the certificate
(downloadable from the organisation's public page of reports) can check it is the same
signer every time. The private key is stored encrypted with the data keys, never in clear."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ngo.accounts.models import Organisation
from ngo.extensions import db
from ngo.reports.models import SigningKey, SigningKeySource
from ngo.rules import RuleError
from ngo.timeutil import utcnow

CERTIFICATE_YEARS = 10
SIGNATURE_FIELD = "OrganisationSignature"


class SigningKeyError(RuleError):
    """An uploaded PKCS#12 that cannot sign (wrong password, no key, unsupported key)."""


@dataclass(frozen=True)
class SignatureCheck:
    """What pyHanko's validator found about a report's signature."""

    intact: bool  # the signed bytes are unchanged since signing
    valid: bool  # the signature matches the signer's key
    trusted: bool  # the signer's certificate chains to the trust roots given
    signer: str  # the certificate's subject, as pyHanko prints it
    covers_whole_file: bool  # nothing was appended after the signature


def signing_key_for(organisation: Organisation) -> SigningKey:
    """The organisation's signing key, generated on first need. Flushes, as services do."""
    key = db.session.scalar(select(SigningKey).where(SigningKey.organisation_id == organisation.id))
    if key is None:
        key = _generate(organisation)
        db.session.add(key)
        db.session.flush()
    return key


def _generate(organisation: Organisation) -> SigningKey:
    private_key = ec.generate_private_key(ec.SECP256R1())
    legal_name = organisation.legal_name or organisation.name
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, legal_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, legal_name[:64]),
        ]
    )
    now = utcnow()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * CERTIFICATE_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False
        )
        .sign(private_key, hashes.SHA256())
    )
    return _signing_key(organisation, SigningKeySource.GENERATED, private_key, certificate, [])


def upload_pkcs12(organisation: Organisation, data: bytes, password: str) -> SigningKey:
    """Replace the organisation's signing key by the key and certificate of a PKCS#12 file.
    Reports signed before keep verifying: each carries its certificate in its signature."""
    try:
        private_key, certificate, extra = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except ValueError as exc:
        raise SigningKeyError(
            _l("The file is not a PKCS#12 archive, or the password is wrong."), field="archive"
        ) from exc
    if private_key is None or certificate is None:
        raise SigningKeyError(
            _l("The PKCS#12 archive must hold a private key and its certificate."), field="archive"
        )
    if not isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise SigningKeyError(
            _l("Only RSA and elliptic-curve keys can sign reports."), field="archive"
        )
    if _public_der(certificate.public_key()) != _public_der(private_key.public_key()):
        raise SigningKeyError(
            _l("The certificate in the archive is not the private key's."), field="archive"
        )
    chain = [c.public_bytes(serialization.Encoding.PEM).decode() for c in extra]
    replacement = _signing_key(
        organisation, SigningKeySource.UPLOADED, private_key, certificate, chain
    )
    existing = db.session.scalar(
        select(SigningKey).where(SigningKey.organisation_id == organisation.id)
    )
    if existing is None:
        db.session.add(replacement)
        existing = replacement
    else:
        for column in ("source", "certificate", "chain", "private_key", "fingerprint"):
            setattr(existing, column, getattr(replacement, column))
        existing.created_at = utcnow()
    db.session.flush()
    return existing


def _signing_key(
    organisation: Organisation,
    source: SigningKeySource,
    private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    chain: list[str],
) -> SigningKey:
    der = certificate.public_bytes(serialization.Encoding.DER)
    pkcs8 = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SigningKey(
        organisation_id=organisation.id,
        source=source,
        certificate=der,
        chain=chain,
        private_key=pkcs8,
        fingerprint=hashlib.sha256(der).hexdigest(),
    )


@dataclass(frozen=True)
class CertificateFacts:
    """What the admin's page shows of the signing certificate."""

    subject: str
    issuer: str
    valid_until: datetime
    fingerprint: str  # SHA-256 of the certificate (DER), as funders compare it
    self_signed: bool


def describe_certificate(key: SigningKey) -> CertificateFacts:
    certificate = x509.load_der_x509_certificate(key.certificate)
    return CertificateFacts(
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        valid_until=certificate.not_valid_after_utc.replace(tzinfo=None),
        fingerprint=key.fingerprint,
        self_signed=certificate.issuer == certificate.subject,
    )


def certificate_pem(key: SigningKey) -> str:
    """The signing certificate as PEM: what a funder keeps to check later reports."""
    return (
        x509.load_der_x509_certificate(key.certificate)
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )


def sign_pdf(pdf: bytes, key: SigningKey, *, reason: str, location: str = "") -> bytes:
    """Append a PAdES baseline signature (B-B) to `pdf` as an incremental update, so the
    PDF/A content stays byte for byte what was rendered."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    certificate = asn1_x509.Certificate.load(key.certificate)
    others = [asn1_x509.Certificate.load(_pem_to_der(pem)) for pem in key.chain]
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_key),
        cert_registry=SimpleCertificateStore.from_certs([certificate, *others]),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    signed = signers.sign_pdf(writer, metadata, signer=signer)
    return bytes(signed.getvalue())


def check_signature(pdf: bytes, trust_roots: list[bytes]) -> SignatureCheck:
    """Validate the report's one signature with pyHanko's validator; `trust_roots` are DER
    certificates (the organisation's, for a self-signed key)."""
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(BytesIO(pdf), strict=False)
    signatures = reader.embedded_signatures
    if len(signatures) != 1:
        raise ValueError(f"expected one signature, found {len(signatures)}")
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(root) for root in trust_roots],
        allow_fetching=False,
    )
    status = validate_pdf_signature(signatures[0], context)
    coverage = status.coverage.name if status.coverage is not None else ""
    return SignatureCheck(
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        signer=status.signing_cert.subject.human_friendly,
        covers_whole_file=coverage == "ENTIRE_FILE",
    )


def _pem_to_der(pem: str) -> bytes:
    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)


def _public_der(public_key: PublicKeyTypes) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
