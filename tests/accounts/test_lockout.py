"""Wrong passwords pause sign-in to an account for a growing while, tell its owner, and reveal
nothing; a deliberate lock by an administrator or the operator is another thing."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy import select
from werkzeug.test import TestResponse

from ngo.accounts import password_reset, services, signin
from ngo.accounts.models import User
from ngo.audit import AuditEvent
from ngo.extensions import db
from ngo.timeutil import utcnow
from tests import factories
from tests.conftest import current_totp, login, mail_text, sent_mail
from tests.helpers import page_text

GENERIC_ERROR = "Wrong e-mail address or password."
LOCKED_ERROR = "This account is locked."
PAUSE_SUBJECT = "Sign-in to your ngo account was paused"
# The per-address rate limit is tested in test_login.py; here one client makes many attempts.
MANY_ATTEMPTS = "1000 per minute"


@pytest.fixture
def app_config():
    return {"LOGIN_RATE_LIMIT": MANY_ATTEMPTS}


def post_login(client: FlaskClient, email: str, password: str) -> TestResponse:
    return client.post("/login", data={"email": email, "password": password})


def error_summary(response: TestResponse) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', page_text(response), re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def fresh(user: User) -> User:
    db.session.refresh(user)
    return user


def fail(client: FlaskClient, user: User, times: int = 5) -> None:
    for n in range(times):
        response = post_login(client, user.email, f"wrong password number {n}")
        assert response.status_code == 400
        assert GENERIC_ERROR in page_text(response)


def end_pause(user: User) -> None:
    user = fresh(user)
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()


def actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def reaches_dashboard(client: FlaskClient) -> bool:
    return client.get("/dashboard").status_code == 200


def wrong_code(user: User) -> str:
    totp = pyotp.TOTP(user.totp_secret)
    step = int(time.time() // 30)
    valid = {totp.at((step + d) * 30) for d in (-2, -1, 0, 1, 2)}
    return next(f"{n:06d}" for n in range(123456, 999999) if f"{n:06d}" not in valid)


# The pause --------------------------------------------------------------------------------


def test_five_wrong_passwords_pause_sign_in_for_a_minute_not_for_ever(app, client, make_user):
    user = make_user("caseworker")
    fail(client, user, 4)
    assert fresh(user).locked_until is None

    fail(client, user, 1)

    user = fresh(user)
    assert user.locked_at is None  # not the deliberate lock
    assert user.is_active
    pause = user.locked_until - utcnow()
    assert timedelta(seconds=55) < pause <= timedelta(seconds=60)
    (event,) = [e for e in db.session.scalars(select(AuditEvent)) if e.action == "user.locked_out"]
    assert event.actor_id is None
    assert event.details == {"seconds": 60, "failures": 5}

    end_pause(user)
    login(client, user)
    assert reaches_dashboard(client)
    user = fresh(user)
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_during_the_pause_the_right_password_gets_the_answer_of_a_wrong_one(
    app, browser, make_user
):
    user = make_user("caseworker")
    fail(browser(), user)

    right = post_login(browser(), user.email, factories.PASSWORD)
    wrong = post_login(browser(), user.email, "still not the password")
    unknown = post_login(browser(), "nobody@example.org", factories.PASSWORD)

    assert right.status_code == wrong.status_code == unknown.status_code == 400
    assert error_summary(right) == error_summary(wrong) == error_summary(unknown)
    assert LOCKED_ERROR not in page_text(right)
    assert fresh(user).failed_logins == 5  # guesses during the pause are not even counted
    assert "user.logged_in" not in actions()


def test_the_pause_grows_with_each_run_of_failures_up_to_the_cap(app, client, make_user):
    user = make_user("caseworker")
    pauses = []
    for _ in range(3):
        fail(client, user)
        pauses.append(fresh(user).locked_until - utcnow())
        end_pause(user)
    assert [round(p.total_seconds() / 60) for p in pauses] == [1, 2, 4]
    assert [signin.lockout_seconds(n) for n in (1, 2, 3, 7, 8, 100, 10**6)] == [
        60,
        120,
        240,
        3600,
        3600,
        3600,
        3600,
    ]


def test_the_owner_is_told_once_in_their_language_with_nothing_about_the_guesser(
    app, client, make_user
):
    user = make_user("caseworker", locale="pl")

    fail(client, user)

    (mail,) = sent_mail(app)
    assert mail["To"] == user.email
    with app.test_request_context(), force_locale("pl"):
        assert str(mail["Subject"]) == gettext(PAUSE_SUBJECT)
    text = mail_text(mail)
    assert "http://ngo.test/password/forgot" in text
    for needle in ("127.0.0.1", "User-Agent", "wrong password number", "@"):
        assert needle not in text
    # A second run of failures pauses again, longer, but does not fill the mailbox.
    end_pause(user)
    fail(client, user)
    assert len(sent_mail(app)) == 1


def test_an_unknown_address_is_never_paused_and_nobody_is_mailed(app, client):
    for _ in range(12):
        response = post_login(client, "nobody@example.org", "some guess or other")
        assert response.status_code == 400
    assert sent_mail(app) == []
    assert actions() == []


def test_a_pause_does_not_end_the_owners_running_session(browser, make_user):
    user = make_user("caseworker")
    owner = browser()
    login(owner, user)

    fail(browser(), user)

    assert reaches_dashboard(owner)


def test_wrong_codes_pause_too_and_drop_the_half_done_sign_in(client, make_user):
    user = make_user("caseworker")
    post_login(client, user.email, factories.PASSWORD)
    for _ in range(4):
        response = client.post("/login/two-factor", data={"code": wrong_code(fresh(user))})
        assert response.status_code == 400

    response = client.post("/login/two-factor", data={"code": wrong_code(fresh(user))})

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert "paused until" in page_text(client.get("/login"))
    assert signin.paused_until(fresh(user)) is not None
    response = client.post("/login/two-factor", data={"code": current_totp(fresh(user))})
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert not reaches_dashboard(client)


def test_a_code_is_not_checked_during_a_pause(app, make_user):
    user = make_user("caseworker")
    user.locked_until = utcnow() + timedelta(minutes=1)
    db.session.commit()
    assert not signin.check_second_factor(user, current_totp(user))
    assert user.failed_logins == 0


def test_wrong_current_passwords_on_the_account_page_pause_and_sign_out(client, make_user):
    user = make_user("caseworker")
    login(client, user)
    data = {"current_password": "not my password!", "password": "x" * 20, "confirm": "x" * 20}
    for _ in range(4):
        assert client.post("/account", data=data).status_code == 400

    response = client.post("/account", data=data)

    assert urlsplit(response.headers["Location"]).path == "/login"
    assert signin.paused_until(fresh(user)) is not None
    assert fresh(user).locked_at is None
    assert not reaches_dashboard(client)


def test_a_password_reset_lifts_the_pause(app, client, make_user):
    user = make_user("caseworker")
    fail(client, user)
    reset = password_reset.request_password_reset(user.email)
    db.session.commit()

    password_reset.reset_password(reset, "a brand new passphrase")
    db.session.commit()

    assert signin.paused_until(fresh(user)) is None
    assert post_login(client, user.email, "a brand new passphrase").status_code == 302


class TestSettings:
    @pytest.fixture
    def app_config(self):
        return {
            "LOGIN_RATE_LIMIT": MANY_ATTEMPTS,
            "LOGIN_LOCKOUT_THRESHOLD": 3,
            "LOGIN_LOCKOUT_FIRST_SECONDS": 10,
            "LOGIN_LOCKOUT_MAX_SECONDS": 15,
        }

    def test_threshold_length_and_cap_are_settings(self, client, make_user):
        user = make_user("caseworker")
        fail(client, user, 3)
        assert fresh(user).locked_until - utcnow() <= timedelta(seconds=10)
        end_pause(user)
        fail(client, user, 3)
        assert timedelta(seconds=10) < fresh(user).locked_until - utcnow() <= timedelta(seconds=15)


# The deliberate lock ----------------------------------------------------------------------


def test_a_locked_account_with_the_right_password_is_told_it_is_locked(browser, admin, make_user):
    user = make_user("caseworker")
    running = browser()
    login(running, user)

    services.lock_user(fresh(user), actor=fresh(admin), organisation_id=None, reason="admin")
    db.session.commit()

    assert not reaches_dashboard(running)  # it ends every session
    right = post_login(browser(), user.email, factories.PASSWORD)
    assert right.status_code == 400
    assert LOCKED_ERROR in page_text(right)
    wrong = post_login(browser(), user.email, "not the password at all")
    assert LOCKED_ERROR not in page_text(wrong)
    assert "user.locked" in actions()


def test_the_end_of_a_pause_does_not_lift_a_deliberate_lock(browser, admin, make_user):
    user = make_user("caseworker")
    fail(browser(), user)
    services.lock_user(fresh(user), actor=fresh(admin), organisation_id=None, reason="admin")
    db.session.commit()

    end_pause(user)

    assert LOCKED_ERROR in page_text(post_login(browser(), user.email, factories.PASSWORD))


def test_an_admin_unlocks_a_paused_account(browser, admin_client, make_user):
    user = make_user("caseworker")
    fail(browser(), user)
    page = page_text(admin_client.get(f"/admin/users/{user.id}"))
    assert "sign-in paused" in page
    assert f"/admin/users/{user.id}/unlock" in page

    assert admin_client.post(f"/admin/users/{user.id}/unlock").status_code == 302

    user = fresh(user)
    assert (user.locked_until, user.failed_logins) == (None, 0)
    login(browser(), user)


def test_the_operator_unlocks_from_the_command_line(app, browser, admin, make_user):
    user = make_user("caseworker")
    fail(browser(), user)
    services.lock_user(fresh(user), actor=fresh(admin), organisation_id=None, reason="admin")
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["unlock-user", user.email])

    assert result.exit_code == 0, result.output
    user = fresh(user)
    assert (user.locked_at, user.locked_until, user.failed_logins) == (None, None, 0)
    login(browser(), user)
