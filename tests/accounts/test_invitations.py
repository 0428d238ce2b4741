"""Invitations: an administrator invites by e-mail, the invitee joins through a one-time link."""

from __future__ import annotations

import re
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from ngo.accounts import invitations, password_reset, passwords, tokens
from ngo.accounts.models import Invitation, Membership, User
from ngo.audit import AuditEvent
from ngo.extensions import db
from ngo.timeutil import utcnow
from tests import factories
from tests.conftest import current_totp, link_in, login, mail_text, sent_mail
from tests.helpers import open_link, page_text, split_link, tamper_signature

INVITEE = "new.colleague@example.net"
NEW_PASSWORD = "a long and fresh passphrase"


# Helpers ----------------------------------------------------------------------------------


def invite(
    client: FlaskClient, email: str = INVITEE, role: str = "verifier", locale: str = "en"
) -> TestResponse:
    return client.post("/admin/users/invite", data={"email": email, "role": role, "locale": locale})


def invite_and_get_link(app: Flask, admin_client: FlaskClient, **kwargs: str) -> str:
    response = invite(admin_client, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    mails = sent_mail(app)
    assert len(mails) == 1
    return link_in(mails[0])


def the_invitation() -> Invitation:
    db.session.expire_all()
    return db.session.scalars(select(Invitation)).one()


def invitation_count() -> int:
    return db.session.scalar(select(func.count(Invitation.id)))


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalars(select(User).where(User.email == email)).first()


def memberships_of(user: User) -> set[tuple[int, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Membership).where(Membership.user_id == user.id))
    return {(m.organisation_id, m.role) for m in rows}


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def html_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no HTML part")


def accept(client: FlaskClient, link: str, **data: str) -> TestResponse:
    """The accept form posts the token it was opened with, next to what the person typed."""
    _, token = split_link(link)
    return client.post("/invitation/accept", data={"token": token, **data})


def accept_as_new_person(
    client: FlaskClient, link: str, name: str = "New Colleague"
) -> TestResponse:
    return accept(client, link, display_name=name, password=NEW_PASSWORD, confirm=NEW_PASSWORD)


def test_admin_invitation_writes_one_mail_with_a_link(app, admin_client, organisation):
    response = invite(admin_client)

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    invitation = the_invitation()
    assert invitation.email == INVITEE
    assert invitation.role == "verifier"
    assert invitation.organisation_id == organisation.id
    assert invitation.accepted_at is None
    mails = sent_mail(app)
    assert len(mails) == 1
    assert mails[0]["To"] == INVITEE
    assert subject(mails[0]) == f"You are invited to join {organisation.name}"
    link = link_in(mails[0])
    assert link.startswith("/invitation#")
    assert link in html_part(mails[0])
    assert INVITEE in admin_client.get("/admin/users").get_data(as_text=True)


def test_invitation_address_is_stored_normalised(app, admin_client):
    invite(admin_client, email="New.Colleague@Example.NET")

    assert the_invitation().email == INVITEE
    assert sent_mail(app)[0]["To"] == INVITEE


def test_invitation_is_written_in_the_chosen_language(app, admin_client, organisation):
    invite(admin_client, locale="pl")

    mails = sent_mail(app)
    assert len(mails) == 1
    assert the_invitation().locale == "pl"
    english = f"You are invited to join {organisation.name}"
    with app.test_request_context(), force_locale("pl"):
        polish = gettext("You are invited to join %(org)s", org=organisation.name)
        polish_intro = gettext("You are invited to join %(org)s on ngo.", org=organisation.name)
    assert subject(mails[0]) == polish
    assert polish_intro in mail_text(mails[0])
    assert '<html lang="pl">' in html_part(mails[0])
    if polish != english:  # the catalogue translates it: the mail must not be in English
        assert english not in subject(mails[0])


def test_invite_form_is_shown_to_admins(admin_client):
    response = admin_client.get("/admin/users/invite")

    assert response.status_code == 200
    html = page_text(response)
    assert 'name="email"' in html
    assert 'name="role"' in html
    assert 'name="locale"' in html
    # No role is chosen for the admin: the empty choice is the selected one.
    select = re.search(r'<select[^>]*name="role".*?</select>', html, re.S).group(0)
    assert re.findall(r"<option[^>]*selected[^>]*>", select) == ['<option selected value="">']
    assert "required" in select.split(">", 1)[0]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"email": "not-an-email", "role": "verifier", "locale": "en"}, "valid e-mail address"),
        (
            {"email": "", "role": "verifier", "locale": "en"},
            "Enter the e-mail address of the person you invite.",
        ),
        ({"email": INVITEE, "role": "", "locale": "en"}, "Choose the role of the person you"),
        ({"email": INVITEE, "locale": "en"}, "Choose the role of the person you invite."),
        ({"email": INVITEE, "role": "superuser", "locale": "en"}, "Not a valid choice"),
        ({"email": INVITEE, "role": "verifier", "locale": "xx"}, "Not a valid choice"),
    ],
)
def test_invalid_invitation_is_a_form_error_and_sends_nothing(app, admin_client, data, error):
    response = admin_client.post("/admin/users/invite", data=data)

    assert response.status_code == 400
    assert error in page_text(response)
    assert invitation_count() == 0
    assert sent_mail(app) == []


def test_inviting_an_existing_member_is_a_form_error(app, admin_client, make_user, organisation):
    member = make_user("caseworker")

    response = invite(admin_client, email=member.email.upper())

    assert response.status_code == 400
    message = f"The person with this e-mail address is already a member of {organisation.name}."
    assert message in page_text(response)
    assert 'id="email-error"' in page_text(response)
    assert invitation_count() == 0
    assert sent_mail(app) == []


def test_caseworker_may_not_invite(app, client, make_user):
    login(client, make_user("caseworker"))

    assert client.get("/admin/users/invite").status_code == 403
    assert invite(client).status_code == 403
    assert invitation_count() == 0
    assert sent_mail(app) == []


def test_invite_page_needs_sign_in(client):
    response = client.get("/admin/users/invite")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# Accepting --------------------------------------------------------------------------------


def test_new_person_accepts_enrols_and_becomes_a_member(app, admin_client, browser, organisation):
    link = invite_and_get_link(app, admin_client, role="verifier")
    invitee = browser()

    form = open_link(invitee, link)
    assert form.status_code == 200
    html = page_text(form)
    assert f"Join {organisation.name}" in html
    assert 'name="display_name"' in html
    assert 'name="confirm"' in html

    response = accept_as_new_person(invitee, link, name="Nadia Example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/two-factor/setup"  # verifiers are staff
    user = user_by_email(INVITEE)
    assert user is not None
    assert user.display_name == "Nadia Example"
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    assert invitee.get("/dashboard").status_code == 302  # not signed in before enrolment

    assert invitee.get("/two-factor/setup").status_code == 200
    user = user_by_email(INVITEE)
    code = pyotp.TOTP(user.totp_secret).now()
    enrolled = invitee.post("/two-factor/setup", data={"code": code})
    assert enrolled.status_code == 200
    assert (
        len(re.findall(r"<li><code>[0-9a-f]{6}-[0-9a-f]{6}</code></li>", page_text(enrolled))) == 10
    )

    user = user_by_email(INVITEE)
    assert user.has_second_factor
    assert memberships_of(user) == {(organisation.id, "verifier")}
    assert the_invitation().accepted_at is not None
    dashboard = invitee.get("/dashboard")
    assert dashboard.status_code == 200
    assert "Nadia Example" in page_text(dashboard)


def test_funder_accepts_and_sets_up_two_factors_like_staff(
    app, admin_client, browser, organisation
):
    link = invite_and_get_link(app, admin_client, role="funder")
    invitee = browser()

    response = accept_as_new_person(invitee, link)

    assert response.status_code == 302
    assert response.headers["Location"] == "/two-factor/setup"
    assert invitee.get("/dashboard").status_code == 302
    assert memberships_of(user_by_email(INVITEE)) == {(organisation.id, "funder")}


def test_new_user_gets_the_language_of_the_invitation(app, admin_client, browser):
    link = invite_and_get_link(app, admin_client, role="funder", locale="pl")

    accept_as_new_person(browser(), link)

    assert user_by_email(INVITEE).locale == "pl"


@pytest.mark.parametrize(
    ("password", "confirm", "error"),
    [
        ("short", "short", "Use between 12 and 256 characters."),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "The two passwords are not the same."),
        (INVITEE, INVITEE, "The password must not be your e-mail address."),
    ],
)
def test_bad_new_password_on_acceptance_is_a_form_error(
    app, admin_client, browser, password, confirm, error
):
    link = invite_and_get_link(app, admin_client)
    invitee = browser()

    response = accept(invitee, link, display_name="X", password=password, confirm=confirm)

    assert response.status_code == 400
    assert error in page_text(response)
    assert split_link(link)[1] in page_text(response)  # the form keeps the token for a retry
    assert user_by_email(INVITEE) is None
    assert the_invitation().accepted_at is None
    assert open_link(invitee, link).status_code == 200


def test_used_link_answers_410(app, admin_client, browser):
    link = invite_and_get_link(app, admin_client, role="funder")
    assert accept_as_new_person(browser(), link).status_code == 302

    for response in (open_link(browser(), link), accept_as_new_person(browser(), link, "Other")):
        assert response.status_code == 410
        assert "This link has already been used." in page_text(response)
    assert user_by_email(INVITEE).display_name == "New Colleague"
    assert db.session.scalar(select(func.count(Membership.id))) == 2  # admin and invitee


def test_expired_link_answers_410(app, admin_client, browser):
    link = invite_and_get_link(app, admin_client)
    invitation = the_invitation()
    invitation.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    for response in (open_link(browser(), link), accept_as_new_person(browser(), link)):
        assert response.status_code == 410
        assert "This link has expired." in page_text(response)
    assert user_by_email(INVITEE) is None


def test_invitation_expires_after_the_configured_time(app, admin_client):
    before = utcnow()
    invite(admin_client)

    invitation = the_invitation()
    ttl = timedelta(hours=app.config["INVITATION_TTL_HOURS"])
    assert before + ttl <= invitation.expires_at <= utcnow() + ttl


def test_link_with_a_changed_signature_is_not_valid(app, admin_client, browser):
    link = invite_and_get_link(app, admin_client)
    page, token = split_link(link)

    response = open_link(browser(), f"{page}#{tamper_signature(token)}")

    assert response.status_code == 400
    assert "This link is not valid." in page_text(response)
    assert open_link(browser(), link).status_code == 200  # the real link still works


def test_link_signed_with_another_key_is_not_valid(app, admin_client, browser):
    invite_and_get_link(app, admin_client)
    invitation = the_invitation()
    forged = URLSafeSerializer("some-other-secret-key", salt="ngo.invitation").dumps(
        {"id": invitation.id, "n": invitation.nonce}
    )

    response = open_link(browser(), f"/invitation#{forged}")

    assert response.status_code == 400
    assert "This link is not valid." in page_text(response)


def test_signed_link_with_the_wrong_nonce_or_purpose_is_not_valid(app, admin_client, browser):
    invite_and_get_link(app, admin_client)
    invitation = the_invitation()
    wrong_nonce = tokens.make_link_token(invitations.INVITATION_LINK, invitation.id, "guessed")
    wrong_purpose = tokens.make_link_token(
        password_reset.RESET_LINK, invitation.id, invitation.nonce
    )
    garbage = "not-a-token-at-all"

    for token in (wrong_nonce, wrong_purpose, garbage):
        response = open_link(browser(), f"/invitation#{token}")
        assert response.status_code == 400, token
        assert "This link is not valid." in page_text(response)
        response = accept_as_new_person(browser(), f"/invitation#{token}")
        assert response.status_code == 400, token
    # Too long to be a token of ours: a form error at the field.
    response = open_link(browser(), "/invitation#" + "x" * 600)
    assert response.status_code == 400
    assert "This is not a code from one of our links." in page_text(response)
    response = browser().post("/invitation/accept", data={"password": NEW_PASSWORD})
    assert response.status_code == 400
    assert "This link is not valid." in page_text(response)


def test_revoked_invitation_is_not_valid(app, admin_client, browser):
    link = invite_and_get_link(app, admin_client)
    invitation = the_invitation()

    response = admin_client.post(f"/admin/invitations/{invitation.id}/revoke")
    assert response.status_code == 302
    assert the_invitation().revoked_at is not None

    for answer in (open_link(browser(), link), accept_as_new_person(browser(), link)):
        assert answer.status_code == 400
        assert "This link is not valid." in page_text(answer)
    assert user_by_email(INVITEE) is None


def test_existing_user_of_another_organisation_joins_with_current_password(
    app, admin_client, browser, organisation
):
    elsewhere = factories.OrganisationFactory()
    existing = factories.UserFactory(role="caseworker", organisation=elsewhere)
    name, password_hash = existing.display_name, existing.password_hash
    link = invite_and_get_link(app, admin_client, email=existing.email, role="treasurer")
    invitee = browser()

    form = open_link(invitee, link)
    assert form.status_code == 200
    assert "You already have an account" in page_text(form)
    assert 'name="display_name"' not in page_text(form)

    wrong = accept(invitee, link, password="not my password at all")
    assert wrong.status_code == 400
    assert "enter its current password" in page_text(wrong)
    assert memberships_of(existing) == {(elsewhere.id, "caseworker")}
    assert the_invitation().accepted_at is None

    right = accept(invitee, link, password=factories.PASSWORD)
    assert right.status_code == 302
    assert right.headers["Location"] == "/login/two-factor"  # they already use a second factor
    assert memberships_of(existing) == {
        (elsewhere.id, "caseworker"),
        (organisation.id, "treasurer"),
    }
    db.session.refresh(existing)
    assert existing.display_name == name
    assert existing.password_hash == password_hash

    signed_in = invitee.post("/login/two-factor", data={"code": current_totp(existing)})
    assert signed_in.status_code == 302
    assert invitee.get("/dashboard").status_code == 200
    assert open_link(invitee, link).status_code == 410


def test_second_invitation_to_the_same_organisation_is_refused_not_a_crash(
    app, admin_client, browser, organisation
):
    # Two invitations sent before either was accepted: the second must not add a second
    # membership (that broke the unique constraint and answered 500).
    assert invite(admin_client, role="funder").status_code == 302
    assert invite(admin_client, role="verifier").status_code == 302
    first, second = (link_in(m) for m in sent_mail(app))
    assert accept_as_new_person(browser(), first).status_code == 302
    user = user_by_email(INVITEE)

    response = accept(browser(), second, password=NEW_PASSWORD)

    assert response.status_code == 400
    assert f"You are already a member of {organisation.name}." in page_text(response)
    assert memberships_of(user) == {(organisation.id, "funder")}
    db.session.expire_all()
    assert (
        db.session.scalars(select(Invitation.accepted_at).order_by(Invitation.id)).all()[1] is None
    )


# Personal data ----------------------------------------------------------------------------


def test_invitation_mail_holds_no_personal_data_but_the_recipient_address(
    app, browser, organisation
):
    admin = factories.UserFactory(
        role="admin",
        organisation=organisation,
        email="agnieszka.admin@example.org",
        display_name="Agnieszka Adminowska",
    )
    colleague = factories.UserFactory(
        role="caseworker",
        organisation=organisation,
        email="colleague@example.org",
        display_name="Piotr Colleague",
    )
    admin_client = browser()
    login(admin_client, admin)

    link = invite_and_get_link(app, admin_client)

    message = sent_mail(app)[0]
    raw = message.as_string()
    for personal in (admin.email, admin.display_name, colleague.email, colleague.display_name):
        assert personal.lower() not in raw.lower()
    assert message["To"] == INVITEE
    assert message["Cc"] is None
    assert message["Bcc"] is None
    assert message["Reply-To"] is None
    for body in (mail_text(message), html_part(message)):
        assert "@" not in body  # not even the recipient's own address
    # The link itself carries only a record id and a random nonce.
    token = split_link(link)[1]
    _, payload = URLSafeSerializer("any key").loads_unsafe(token)
    assert set(payload) == {"id", "n"}
    assert "@" not in str(payload)


def test_audit_events_of_invitations_hold_no_email_address(app, admin_client, browser, admin):
    link = invite_and_get_link(app, admin_client, role="funder")
    invitation = the_invitation()
    accept_as_new_person(browser(), link)

    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    by_action = {e.action: e for e in events}
    sent, accepted = by_action["invitation.sent"], by_action["invitation.accepted"]
    assert sent.actor_id == admin.id
    assert sent.object_id == str(invitation.id)
    assert sent.details == {"role": "funder"}
    assert accepted.actor_id == user_by_email(INVITEE).id
    assert accepted.details == {"role": "funder"}
    columns = [c.name for c in AuditEvent.__table__.columns]
    for event in events:
        for column in columns:
            value = str(getattr(event, column)).lower()
            assert "@" not in value, (event.action, column)
            assert INVITEE not in value
            assert admin.email not in value
