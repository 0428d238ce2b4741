"""Where the secret to scan comes from: the POST that proved the password, or the "set up"
button of a signed-in account, never the enrolment page itself (a GET never writes)."""

from __future__ import annotations

import pyotp

from ngo.extensions import db
from tests import factories
from tests.helpers import page_text


def _secret(user) -> str | None:
    db.session.refresh(user)
    return user.totp_secret


def test_every_sign_in_offers_a_new_secret_and_reloading_the_page_keeps_it(client, make_user):
    user = make_user("caseworker", two_factor=False)
    login = {"email": user.email, "password": factories.PASSWORD}

    client.post("/login", data=login)
    first = _secret(user)
    assert first and first in page_text(client.get("/two-factor/setup"))
    assert first in page_text(client.get("/two-factor/setup"))
    assert _secret(user) == first

    # Whoever saw the first secret (another browser, an earlier attempt) cannot use it now.
    client.post("/login", data=login)
    second = _secret(user)
    assert second and second != first
    assert second in page_text(client.get("/two-factor/setup"))


def test_a_signed_in_account_without_a_second_factor_starts_enrolment_with_a_button(
    app, client, make_user
):
    demo = make_user("admin", two_factor=False, is_demo=True)
    app.config["NGO_ENV"] = "development"  # demo accounts sign in without a second factor there
    client.post("/login", data={"email": demo.email, "password": factories.PASSWORD})
    assert _secret(demo) is None
    assert "/two-factor/setup/start" in page_text(client.get("/account"))

    page = client.get("/two-factor/setup")
    assert page.status_code == 200
    assert "/two-factor/setup/start" in page_text(page)
    assert "data:image/svg+xml" not in page_text(page)
    assert _secret(demo) is None

    started = client.post("/two-factor/setup/start")
    assert started.status_code == 303
    secret = _secret(demo)
    assert secret and secret in page_text(client.get("/two-factor/setup"))

    enrolled = client.post("/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    assert enrolled.status_code == 200
    db.session.refresh(demo)
    assert demo.has_second_factor


def test_the_start_button_needs_a_signed_in_or_pending_account(client):
    response = client.post("/two-factor/setup/start")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
