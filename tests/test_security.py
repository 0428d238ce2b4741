"""CSRF, security headers, body size limits and error pages."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from ngo.accounts.models import Invitation
from ngo.extensions import db
from tests import factories
from tests.conftest import current_totp, login


class TestWithCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def _token(self, client, path: str) -> str:
        page = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def test_login_without_token_is_rejected_with_a_clear_message(self, client, admin):
        response = client.post("/login", data={"email": admin.email, "password": "whatever"})
        assert response.status_code == 400
        assert "did not come from this site" in response.get_data(as_text=True)

    def test_state_change_without_token_changes_nothing(self, client, admin):
        token = self._token(client, "/login")
        client.post(
            "/login",
            data={"email": admin.email, "password": factories.PASSWORD, "csrf_token": token},
        )
        db.session.refresh(admin)
        token = self._token(client, "/login/two-factor")
        signed_in = client.post(
            "/login/two-factor", data={"code": current_totp(admin), "csrf_token": token}
        )
        assert signed_in.headers["Location"] == "/dashboard"
        response = client.post(
            "/admin/users/invite",
            data={"email": "x@example.org", "role": "caseworker", "locale": "en"},
        )
        assert response.status_code == 400
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
        assert client.get("/admin/users").status_code == 200  # still signed in

    def test_forged_token_is_rejected(self, client, admin):
        response = client.post(
            "/login",
            data={"email": admin.email, "password": "whatever", "csrf_token": "forged.token"},
        )
        assert response.status_code == 400

    def test_form_with_token_works(self, client, admin):
        token = self._token(client, "/login")
        response = client.post(
            "/login",
            data={"email": admin.email, "password": factories.PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302


def test_security_headers_on_every_page(client):
    for path in ("/", "/login", "/does-not-exist"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_script_or_style(client, admin):
    login(client, admin)
    for path in ("/", "/dashboard", "/admin/users", "/account", "/admin/audit"):
        page = client.get(path).get_data(as_text=True)
        assert "<script" not in page
        assert " style=" not in page
        assert "<style" not in page


def test_signed_in_pages_are_not_cached(client, admin):
    login(client, admin)
    assert client.get("/admin/users").headers["Cache-Control"] == "no-store"


def test_session_cookie_is_http_only_and_same_site(client, admin):
    response = client.post("/login", data={"email": admin.email, "password": factories.PASSWORD})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_oversized_body_gets_413_page(client):
    response = client.post("/login", data={"email": "a@b.c", "password": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_errors_are_json_for_api_clients(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {"status": 404, "message": "There is nothing at this address."}
    }
    response = client.get("/nope", headers={"Accept": "application/json"})
    assert response.get_json()["error"]["status"] == 404


def test_method_not_allowed_keeps_allow_header(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_open_redirect_after_language_change_is_refused(client):
    response = client.post("/language", data={"language": "pl", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"
    response = client.post("/language", data={"language": "pl", "next": "/login"})
    assert response.headers["Location"] == "/login"


def test_unknown_language_is_a_400(client):
    assert client.post("/language", data={"language": "xx"}).status_code == 400


def test_uploads_never_touch_the_disk_unencrypted(app):
    from werkzeug.test import EnvironBuilder

    big = b"%PDF-" + b"x" * (2 * 1024 * 1024)
    builder = EnvironBuilder(method="POST", data={"file": (io.BytesIO(big), "verdict.pdf")})
    request = app.request_class(builder.get_environ())
    request.max_content_length = 10 * 1024 * 1024
    stream = request.files["file"].stream
    assert type(stream).__name__ == "BytesIO"


def test_readers_get_no_cookie_even_on_error_pages_or_after_choosing_a_language(client):
    for path in ("/", "/appeals", "/no-such-page", "/appeals/unknownslug"):
        assert "Set-Cookie" not in client.get(path).headers, path
    assert client.get("/choose-language?next=/appeals").status_code == 200
    chosen = client.post("/language", data={"language": "pl", "next": "/appeals"})
    assert chosen.status_code == 302
    assert "ngo_lang=pl" in chosen.headers["Set-Cookie"]
    client.delete_cookie("session")
    page = client.get("/appeals")
    assert 'lang="pl"' in page.get_data(as_text=True)
    assert "Set-Cookie" not in page.headers


@pytest.mark.parametrize(
    "path",
    [
        "/appeals/ab%00cd",
        "/media/%00",
        "/api/v1/appeals/x%00",
        "/appeals?q=a%00b",
        "/api/v1/appeals?q=%00",
        "/staff/appeals/%00",
    ],
)
def test_nul_characters_are_a_400_not_a_database_error(client, path):
    assert client.get(path).status_code == 400


def test_nul_in_a_form_field_is_a_400(client):
    assert (
        client.post("/login", data={"email": "a\x00@example.org", "password": "x"}).status_code
        == 400
    )
