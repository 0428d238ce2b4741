"""The admin's page of the report signing key, the PKCS#12 upload, and the public certificate."""

from __future__ import annotations

import io

from cryptography import x509
from sqlalchemy import func, select

from ngo.extensions import db
from ngo.reports.models import SigningKey, SigningKeySource
from ngo.reports.signing import signing_key_for
from tests.conftest import login
from tests.reports.test_archive import _pkcs12


def _keys() -> int:
    return int(db.session.scalar(select(func.count()).select_from(SigningKey)) or 0)


def test_reading_the_page_generates_no_key(client, admin):
    login(client, admin)

    page = client.get("/admin/report-signing")

    assert page.status_code == 200
    assert "No key yet" in page.get_data(as_text=True)
    assert _keys() == 0


def test_an_admin_uploads_a_pkcs12_and_the_public_gets_its_certificate(
    client, browser, admin, organisation
):
    data, certificate = _pkcs12(b"correct horse")
    login(client, admin)
    anyone = browser()
    certificate_url = f"/organisations/{organisation.slug}/report-signing-certificate.pem"
    assert anyone.get(certificate_url).status_code == 404

    response = client.post(
        "/admin/report-signing",
        data={"archive": (io.BytesIO(data), "org.p12"), "password": "correct horse"},
        content_type="multipart/form-data",
    )

    assert response.status_code == 303
    key = signing_key_for(organisation)
    assert key.source == SigningKeySource.UPLOADED
    page = client.get("/admin/report-signing").get_data(as_text=True)
    assert key.fingerprint in page and "Fundacja z certyfikatem" in page
    pem = anyone.get(certificate_url)
    assert pem.status_code == 200
    assert x509.load_pem_x509_certificate(pem.data) == certificate


def test_a_wrong_password_is_refused_at_the_field(client, admin):
    data, _certificate = _pkcs12(b"correct horse")
    login(client, admin)

    response = client.post(
        "/admin/report-signing",
        data={"archive": (io.BytesIO(data), "org.p12"), "password": "wrong"},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert "the password is wrong" in response.get_data(as_text=True)
    assert _keys() == 0


def test_only_admins_manage_the_key(client, make_user):
    login(client, make_user("caseworker"))

    assert client.get("/admin/report-signing").status_code == 403
    assert client.post("/admin/report-signing", data={}).status_code == 403
