"""Sign-in: password step, rate limit, second factor, enrolment, sessions, sign-out.

The pause after wrong attempts and the deliberate lock are in test_lockout.py.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from ngo.accounts import services, two_factor
from ngo.accounts.models import User
from ngo.accounts.policy import must_use_second_factor
from ngo.audit import AuditEvent
from ngo.extensions import db
from tests import factories
from tests.conftest import current_totp, login

NEW_PASSWORD = "a completely different passphrase"
GENERIC_ERROR = "Wrong e-mail address or password."
LOCKED_ERROR = "This account is locked."


# Helpers ----------------------------------------------------------------------------------


def post_login(
    client: FlaskClient, email: str, password: str, next_url: str | None = None
) -> TestResponse:
    url = "/login" if next_url is None else f"/login?next={next_url}"
    return client.post(url, data={"email": email, "password": password})


def location_path(response: TestResponse) -> str:
    return urlsplit(response.headers["Location"]).path


def error_summary(response: TestResponse) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', response.get_data(as_text=True), re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def fresh(user: User) -> User:
    """The test's session is not the request's: read the row as the requests left it."""
    db.session.refresh(user)
    return user


def is_signed_in(client: FlaskClient) -> bool:
    response = client.get("/dashboard")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert location_path(response) in ("/login", "/two-factor/setup")
    return False


def audit_events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
    )


def wrong_code(user: User) -> str:
    """Six digits that are not valid in any time step the server accepts just now."""
    totp = pyotp.TOTP(user.totp_secret)
    step = int(time.time() // 30)
    valid = {totp.at((step + d) * 30) for d in (-2, -1, 0, 1, 2)}
    candidate = 123456
    while f"{candidate:06d}" in valid:
        candidate += 1
    return f"{candidate:06d}"


def start_second_factor(client: FlaskClient, user: User) -> None:
    response = post_login(client, user.email, factories.PASSWORD)
    assert response.status_code == 302
    assert location_path(response) == "/login/two-factor"


# Password step ----------------------------------------------------------------------------


def test_sign_in_redirects_to_dashboard_and_is_audited(client, make_user):
    user = make_user("funder")
    start_second_factor(client, user)

    response = client.post("/login/two-factor", data={"code": current_totp(fresh(user))})

    assert response.status_code == 302
    assert location_path(response) == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    events = audit_events("user.logged_in")
    assert len(events) == 1
    assert events[0].actor_id == user.id
    assert events[0].object_id == str(user.id)
    assert fresh(user).last_login_at is not None


def test_sign_in_with_second_factor_is_audited_once(client, make_user):
    user = make_user("caseworker")

    login(client, user)

    assert client.get("/dashboard").status_code == 200
    assert [e.actor_id for e in audit_events("user.logged_in")] == [user.id]


def test_email_address_is_matched_case_insensitively(client, make_user):
    user = make_user("funder")

    response = post_login(client, user.email.upper(), factories.PASSWORD)

    assert response.status_code == 302
    assert location_path(response) == "/login/two-factor"


def test_wrong_password_and_unknown_email_get_the_same_answer(browser, make_user):
    user = make_user("caseworker")

    wrong_password = post_login(browser(), user.email, "not the right password")
    unknown_email = post_login(browser(), "nobody@example.org", factories.PASSWORD)

    assert wrong_password.status_code == unknown_email.status_code == 400
    assert GENERIC_ERROR in wrong_password.get_data(as_text=True)
    assert error_summary(wrong_password) == error_summary(unknown_email)
    assert LOCKED_ERROR not in wrong_password.get_data(as_text=True)
    assert fresh(user).failed_logins == 1
    assert audit_events("user.logged_in") == []


def test_wrong_password_does_not_sign_in(client, make_user):
    user = make_user("funder")

    post_login(client, user.email, "not the right password")

    assert not is_signed_in(client)


def test_oversized_password_is_a_form_error_not_a_server_error(client, make_user):
    user = make_user("caseworker")

    response = post_login(client, user.email, "x" * 300)

    assert response.status_code == 400
    assert "256" in error_summary(response)
    assert fresh(user).failed_logins == 0
    assert not is_signed_in(client)


def test_missing_fields_are_form_errors(client):
    response = client.post("/login", data={"email": "", "password": ""})

    assert response.status_code == 400
    summary = error_summary(response)
    assert "Enter your e-mail address." in summary
    assert "Enter your password." in summary


# Rate limit -------------------------------------------------------------------------------


class TestRateLimit:
    @pytest.fixture
    def app_config(self) -> dict[str, object]:
        return {"LOGIN_RATE_LIMIT": "3 per minute"}

    def test_fourth_attempt_in_a_minute_is_refused_with_a_clear_page(self, client, make_user):
        user = make_user("funder", two_factor=False)
        for _ in range(3):
            assert post_login(client, user.email, "wrong password here").status_code == 400

        response = client.post(
            "/login",
            data={"email": user.email, "password": factories.PASSWORD},
            headers={"Accept": "text/html"},
        )

        assert response.status_code == 429
        assert response.mimetype == "text/html"
        assert "Too many attempts. Please wait a minute and try again." in response.get_data(
            as_text=True
        )
        # The refused attempt was not even looked at: not signed in, not counted.
        assert not is_signed_in(client)
        assert fresh(user).failed_logins == 3

    def test_the_sign_in_page_itself_is_not_limited(self, client, make_user):
        user = make_user("funder", two_factor=False)
        for _ in range(3):
            post_login(client, user.email, "wrong password here")
        assert post_login(client, user.email, "wrong password here").status_code == 429

        assert client.get("/login").status_code == 200


# Second factor ----------------------------------------------------------------------------


def test_password_step_leads_to_the_second_factor(client, make_user):
    user = make_user("caseworker")

    start_second_factor(client, user)

    # Half-way is not signed in.
    assert client.get("/dashboard").status_code == 302
    assert audit_events("user.logged_in") == []


def test_valid_totp_signs_in(client, make_user):
    user = make_user("verifier")
    start_second_factor(client, user)

    response = client.post("/login/two-factor", data={"code": current_totp(fresh(user))})

    assert response.status_code == 302
    assert location_path(response) == "/dashboard"
    assert is_signed_in(client)
    assert len(audit_events("user.logged_in")) == 1


def test_second_factor_page_needs_the_password_step(client, make_user):
    response = client.get("/login/two-factor")

    assert response.status_code == 302
    assert location_path(response) == "/login"


def test_a_totp_code_cannot_be_replayed(browser, make_user):
    user = make_user("caseworker")
    first, second = browser(), browser()
    start_second_factor(first, user)
    code = current_totp(fresh(user))
    assert first.post("/login/two-factor", data={"code": code}).status_code == 302

    start_second_factor(second, user)
    response = second.post("/login/two-factor", data={"code": code})

    assert response.status_code == 400
    assert "That code is not valid." in response.get_data(as_text=True)
    assert not is_signed_in(second)
    assert is_signed_in(first)
    assert len(audit_events("user.logged_in")) == 1


def test_wrong_code_is_refused_and_counts_towards_lock_out(client, make_user):
    user = make_user("caseworker")
    start_second_factor(client, user)

    response = client.post("/login/two-factor", data={"code": wrong_code(fresh(user))})

    assert response.status_code == 400
    assert "That code is not valid." in response.get_data(as_text=True)
    assert fresh(user).failed_logins == 1
    assert not is_signed_in(client)


def test_recovery_code_works_once(client, make_user):
    user = make_user("treasurer")
    codes = two_factor.issue_recovery_codes(user)
    db.session.commit()

    start_second_factor(client, user)
    response = client.post("/login/two-factor", data={"code": codes[0].upper()})
    assert response.status_code == 302
    assert is_signed_in(client)
    assert two_factor.remaining_recovery_codes(user) == 9
    client.post("/logout")

    start_second_factor(client, user)
    response = client.post("/login/two-factor", data={"code": codes[0]})
    assert response.status_code == 400
    assert not is_signed_in(client)
    assert fresh(user).failed_logins == 1

    response = client.post("/login/two-factor", data={"code": codes[1]})
    assert response.status_code == 302
    assert is_signed_in(client)


# Enrolment --------------------------------------------------------------------------------


def test_staff_without_second_factor_must_enrol(client, make_user):
    user = make_user("caseworker", two_factor=False)

    response = post_login(client, user.email, factories.PASSWORD)
    assert response.status_code == 302
    assert location_path(response) == "/two-factor/setup"
    assert not is_signed_in(client)

    page = client.get("/two-factor/setup")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html
    secret = fresh(user).totp_secret
    assert secret
    assert secret in html
    assert not user.has_second_factor

    response = client.post("/two-factor/setup", data={"code": wrong_code(user)})
    assert response.status_code == 400
    assert "That code is not valid." in response.get_data(as_text=True)
    assert not fresh(user).has_second_factor
    assert fresh(user).totp_secret == secret  # the same secret stays on the page
    assert not is_signed_in(client)

    code = pyotp.TOTP(fresh(user).totp_secret).now()
    response = client.post("/two-factor/setup", data={"code": code})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", response.get_data(True))
    assert len(codes) == 10
    assert len(set(codes)) == 10
    user = fresh(user)
    assert user.has_second_factor
    assert two_factor.remaining_recovery_codes(user) == 10
    assert is_signed_in(client)
    assert len(audit_events("user.logged_in")) == 1


def test_enrolment_page_needs_the_password_step(client):
    response = client.get("/two-factor/setup")

    assert response.status_code == 302
    assert location_path(response) == "/login"


@pytest.mark.parametrize("role", ["funder", "treasurer", "verifier", "caseworker", "admin"])
def test_every_role_must_enrol_before_signing_in(client, make_user, role):
    user = make_user(role, two_factor=False)

    response = post_login(client, user.email, factories.PASSWORD)

    assert response.status_code == 302
    assert location_path(response) == "/two-factor/setup"
    assert not is_signed_in(client)
    assert must_use_second_factor(fresh(user))


@pytest.mark.parametrize(
    ("environment", "required"),
    [("development", False), ("testing", True), ("production", True)],
)
def test_demo_users_skip_enrolment_only_in_development(app, make_user, environment, required):
    demo = make_user("caseworker", two_factor=False, is_demo=True)
    regular = make_user("caseworker", two_factor=False)
    app.config["NGO_ENV"] = environment

    assert must_use_second_factor(demo) is required
    assert must_use_second_factor(regular) is True


def test_demo_user_signs_in_without_enrolment_in_development(app, client, make_user):
    demo = make_user("admin", two_factor=False, is_demo=True)
    app.config["NGO_ENV"] = "development"

    response = post_login(client, demo.email, factories.PASSWORD)

    assert response.status_code == 302
    assert location_path(response) == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_demo_user_must_enrol_outside_development(client, make_user):
    demo = make_user("admin", two_factor=False, is_demo=True)

    response = post_login(client, demo.email, factories.PASSWORD)

    assert response.status_code == 302
    assert location_path(response) == "/two-factor/setup"


# Sessions ---------------------------------------------------------------------------------


def test_password_change_elsewhere_ends_the_session(client, make_user):
    user = make_user("caseworker")
    login(client, user)
    assert client.get("/dashboard").status_code == 200

    services.change_password(fresh(user), NEW_PASSWORD)
    db.session.commit()

    response = client.get("/dashboard")
    assert response.status_code == 302
    assert location_path(response) == "/login"


def test_password_change_on_the_account_page_keeps_this_session(browser, client, make_user):
    user = make_user("caseworker")
    login(client, user)
    other = browser()
    login(other, user)

    response = client.post(
        "/account",
        data={
            "current_password": factories.PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert location_path(response) == "/account"
    assert client.get("/dashboard").status_code == 200
    assert client.get("/account").status_code == 200
    assert not is_signed_in(other)
    assert len(audit_events("user.password_changed")) == 1
    assert post_login(browser(), user.email, factories.PASSWORD).status_code == 400
    # The new password passes the password step (the second factor was tested above; a third
    # TOTP sign-in within one 30-second step is not possible by design).
    response = post_login(browser(), user.email, NEW_PASSWORD)
    assert response.status_code == 302
    assert location_path(response) == "/login/two-factor"


def test_password_change_with_wrong_current_password_is_refused(client, make_user):
    user = make_user("caseworker")
    login(client, user)
    version = fresh(user).session_version

    response = client.post(
        "/account",
        data={
            "current_password": "not my password!",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )

    assert response.status_code == 400
    assert "The current password is not correct." in response.get_data(as_text=True)
    assert fresh(user).session_version == version
    assert client.get("/dashboard").status_code == 200


def test_new_password_problems_are_shown_at_the_new_password(client, make_user):
    user = make_user("caseworker")
    login(client, user)
    response = client.post(
        "/account",
        data={
            "current_password": factories.PASSWORD,
            "password": user.email.upper(),
            "confirm": user.email.upper(),
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="password-error"' in page
    assert 'id="current_password-error"' not in page
    assert fresh(user).failed_logins == 0


def test_logout_ends_the_session(client, make_user):
    user = make_user("caseworker")
    login(client, user)

    response = client.post("/logout")

    assert response.status_code == 302
    assert location_path(response) == "/"
    assert not is_signed_in(client)


def test_logout_needs_post(client, make_user):
    user = make_user("caseworker")
    login(client, user)

    assert client.get("/logout").status_code == 405
    assert is_signed_in(client)


# The next parameter -----------------------------------------------------------------------


def test_next_leads_to_a_same_site_path_after_the_second_factor(client, admin):
    start = client.post(
        "/login?next=/admin/users", data={"email": admin.email, "password": factories.PASSWORD}
    )
    assert location_path(start) == "/login/two-factor"

    response = client.post("/login/two-factor", data={"code": current_totp(fresh(admin))})

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"


def test_next_is_followed_through_enrolment(client, make_user):
    user = make_user("funder", two_factor=False)
    post_login(client, user.email, factories.PASSWORD, next_url="/account")
    client.get("/two-factor/setup")

    response = client.post(
        "/two-factor/setup", data={"code": pyotp.TOTP(fresh(user).totp_secret).now()}
    )

    assert response.status_code == 200
    assert 'href="/account"' in response.get_data(as_text=True)


# Many more hostile targets: tests/test_redirects.py.


def test_protected_page_sends_back_there_after_sign_in(client, make_user):
    user = make_user("funder")
    bounce = client.get("/account")
    assert bounce.status_code == 302
    login_url = bounce.headers["Location"]
    assert urlsplit(login_url).path == "/login"

    client.post(login_url, data={"email": user.email, "password": factories.PASSWORD})
    response = client.post("/login/two-factor", data={"code": current_totp(fresh(user))})

    assert response.headers["Location"] == "/account"


def test_signed_in_user_visiting_login_goes_to_dashboard(client, make_user):
    user = make_user("caseworker")
    login(client, user)

    response = client.get("/login")

    assert response.status_code == 302
    assert location_path(response) == "/dashboard"
