"""Password reset: a one-time link by e-mail, the same answer for unknown addresses."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from ngo.accounts import invitations, password_reset, passwords, services, tokens
from ngo.accounts.models import PasswordReset, User
from ngo.audit import AuditEvent
from ngo.extensions import db
from ngo.timeutil import utcnow
from tests import factories
from tests.conftest import link_in, login, mail_text, sent_mail
from tests.helpers import open_link, page_text, split_link, tamper_signature

NEW_PASSWORD = "a brand new passphrase"
SAME_ANSWER = "If an account uses this address, we have sent it a link."


# Helpers ----------------------------------------------------------------------------------


def request_reset(client: FlaskClient, email: str) -> TestResponse:
    return client.post("/password/forgot", data={"email": email})


def reset_link(app: Flask, client: FlaskClient, user: User) -> str:
    response = request_reset(client, user.email)
    assert response.status_code == 302
    mails = sent_mail(app)
    assert len(mails) == 1
    return link_in(mails[0])


def set_password(
    client: FlaskClient, link: str, password: str = NEW_PASSWORD, confirm: str | None = None
) -> TestResponse:
    """The form the link opens posts its token with the new password."""
    _, token = split_link(link)
    return client.post(
        "/password/reset/new",
        data={
            "token": token,
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )


def the_reset() -> PasswordReset:
    db.session.expire_all()
    return db.session.scalars(select(PasswordReset)).one()


def reset_count() -> int:
    return db.session.scalar(select(func.count(PasswordReset.id)))


def password_accepted(client: FlaskClient, user: User, password: str) -> bool:
    """Does the password step accept this password? (The second factor is not needed for it.)"""
    response = client.post("/login", data={"email": user.email, "password": password})
    if response.status_code == 302:
        return True
    assert response.status_code == 400
    return False


def flashes(response: TestResponse) -> list[str]:
    return re.findall(r'<p class="flash[^"]*">(.*?)</p>', response.get_data(as_text=True), re.S)


def test_request_for_a_known_address_sends_one_link(app, client, make_user):
    user = make_user("caseworker")

    response = request_reset(client, user.email)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    mails = sent_mail(app)
    assert len(mails) == 1
    assert mails[0]["To"] == user.email
    link = link_in(mails[0])
    assert link.startswith("/password/reset#")
    reset = the_reset()
    assert reset.user_id == user.id
    assert reset.used_at is None
    ttl = timedelta(minutes=app.config["PASSWORD_RESET_TTL_MINUTES"])
    assert utcnow() < reset.expires_at <= utcnow() + ttl
    assert "@" not in mail_text(mails[0])
    assert [e.action for e in db.session.scalars(select(AuditEvent))] == [
        "password_reset.requested"
    ]


def test_address_is_matched_case_insensitively(app, client, make_user):
    user = make_user("caseworker")

    request_reset(client, user.email.upper())

    assert len(sent_mail(app)) == 1
    assert the_reset().user_id == user.id


def test_unknown_address_gets_the_same_answer_and_no_mail(app, browser, make_user):
    user = make_user("caseworker")

    known = request_reset(browser(), user.email)
    unknown_client = browser()
    unknown = request_reset(unknown_client, "nobody@example.org")

    assert unknown.status_code == known.status_code == 302
    assert unknown.headers["Location"] == known.headers["Location"]
    page = unknown_client.get(unknown.headers["Location"])
    assert len(flashes(page)) == 1
    assert SAME_ANSWER in flashes(page)[0]
    assert len(sent_mail(app)) == 1  # only the known address got one
    assert reset_count() == 1


def test_unknown_address_creates_nothing(app, client):
    response = request_reset(client, "nobody@example.org")
    page = client.get(response.headers["Location"])

    assert SAME_ANSWER in flashes(page)[0]
    assert sent_mail(app) == []
    assert reset_count() == 0
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_malformed_address_is_a_form_error(app, client):
    response = request_reset(client, "not an address")

    assert response.status_code == 400
    assert "valid e-mail address" in page_text(response)
    assert sent_mail(app) == []


# Using the link ---------------------------------------------------------------------------


def test_link_sets_a_new_password(app, browser, make_user):
    user = make_user("caseworker")
    link = reset_link(app, browser(), user)
    visitor = browser()

    form = open_link(visitor, link)
    assert form.status_code == 200
    assert 'name="password"' in page_text(form)
    assert 'name="confirm"' in page_text(form)

    response = set_password(visitor, link)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    page = visitor.get(response.headers["Location"])
    assert "Your password has been changed." in flashes(page)[0]
    assert the_reset().used_at is not None
    assert not password_accepted(browser(), user, factories.PASSWORD)
    assert password_accepted(browser(), user, NEW_PASSWORD)
    actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert "user.password_reset" in actions


def test_new_password_signs_in_through_both_factors(app, browser, make_user):
    user = make_user("verifier")
    link = reset_link(app, browser(), user)
    set_password(browser(), link)

    db.session.refresh(user)
    login(browser(), user, NEW_PASSWORD)


def test_reset_does_not_sign_in(app, client, make_user):
    user = make_user("funder", two_factor=False)
    link = reset_link(app, client, user)

    set_password(client, link)

    assert client.get("/dashboard").status_code == 302


def test_used_link_answers_410(app, browser, make_user):
    user = make_user("caseworker")
    link = reset_link(app, browser(), user)
    assert set_password(browser(), link).status_code == 302

    for response in (open_link(browser(), link), set_password(browser(), link, "another phrase!")):
        assert response.status_code == 410
        assert "This link has already been used." in page_text(response)
    assert password_accepted(browser(), user, NEW_PASSWORD)


def test_expired_link_answers_410(app, browser, make_user):
    user = make_user("caseworker")
    link = reset_link(app, browser(), user)
    reset = the_reset()
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    for response in (open_link(browser(), link), set_password(browser(), link)):
        assert response.status_code == 410
        assert "This link has expired." in page_text(response)
    assert password_accepted(browser(), user, factories.PASSWORD)


def test_tampered_link_is_not_valid(app, browser, make_user):
    user = make_user("caseworker")
    link = reset_link(app, browser(), user)
    prefix, token = split_link(link)
    reset = the_reset()
    forged_with_other_key = URLSafeSerializer(
        "another-secret-key", salt="ngo.password-reset"
    ).dumps({"id": reset.id, "n": reset.nonce})
    wrong_nonce = tokens.make_link_token(password_reset.RESET_LINK, reset.id, "guessed")
    invitation_purpose = tokens.make_link_token(invitations.INVITATION_LINK, reset.id, reset.nonce)

    for bad in (tamper_signature(token), forged_with_other_key, wrong_nonce, invitation_purpose):
        for response in (
            open_link(browser(), f"{prefix}#{bad}"),
            set_password(browser(), f"{prefix}#{bad}"),
        ):
            assert response.status_code == 400, bad
            assert "This link is not valid." in page_text(response)
    assert the_reset().used_at is None
    assert password_accepted(browser(), user, factories.PASSWORD)
    assert open_link(browser(), link).status_code == 200  # the real link still works


def test_too_short_password_is_refused_and_the_link_stays_usable(app, browser, make_user):
    user = make_user("caseworker")
    link = reset_link(app, browser(), user)
    visitor = browser()

    response = set_password(visitor, link, "too short")

    assert response.status_code == 400
    assert "Use between 12 and 256 characters." in page_text(response)
    assert the_reset().used_at is None
    assert password_accepted(browser(), user, factories.PASSWORD)
    assert open_link(visitor, link).status_code == 200
    assert set_password(visitor, link).status_code == 302


def test_password_equal_to_the_email_address_is_refused(app, browser, make_user):
    user = make_user("caseworker", email="long.address.for.test@example.org")
    link = reset_link(app, browser(), user)

    response = set_password(browser(), link, user.email.upper())

    assert response.status_code == 400
    assert "The password must not be your e-mail address." in page_text(response)
    assert the_reset().used_at is None
    assert password_accepted(browser(), user, factories.PASSWORD)


def test_mismatched_confirmation_is_a_form_error(app, browser, make_user):
    user = make_user("caseworker")
    link = reset_link(app, browser(), user)

    response = set_password(browser(), link, NEW_PASSWORD, confirm=NEW_PASSWORD + "?")

    assert response.status_code == 400
    assert "The two passwords are not the same." in page_text(response)
    assert the_reset().used_at is None
    assert password_accepted(browser(), user, factories.PASSWORD)


def test_reset_ends_existing_sessions(app, browser, make_user):
    user = make_user("caseworker")
    signed_in = browser()
    login(signed_in, user)
    assert signed_in.get("/dashboard").status_code == 200
    link = reset_link(app, browser(), user)

    set_password(browser(), link)

    response = signed_in.get("/dashboard")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_reset_does_not_lift_a_deliberate_lock(app, browser, make_user):
    user = make_user("caseworker")
    services.lock_user(user, actor=None, organisation_id=None, reason="operator")
    db.session.commit()
    link = reset_link(app, browser(), user)

    assert set_password(browser(), link).status_code == 302

    db.session.refresh(user)
    assert user.locked_at is not None
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    response = browser().post("/login", data={"email": user.email, "password": NEW_PASSWORD})
    assert response.status_code == 400
    assert "This account is locked." in page_text(response)


def test_changing_the_password_kills_other_reset_links(app, client, make_user):

    user = make_user("caseworker")
    first = password_reset.request_password_reset(user.email)
    second = password_reset.request_password_reset(user.email)
    db.session.commit()
    token = password_reset.password_reset_token(second)
    password_reset.reset_password(first, "an entirely new password")
    db.session.commit()
    response = open_link(client, f"/password/reset#{token}")
    assert response.status_code == 410
