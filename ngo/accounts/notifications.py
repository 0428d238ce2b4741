"""E-mails of the accounts domain, sent by the worker through the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ngo import mail, outbox
from ngo.accounts import invitations, password_reset, signin
from ngo.accounts.models import Invitation, PasswordReset, User
from ngo.extensions import db
from ngo.urls import external_url


def send_invitation_email(payload: dict[str, Any]) -> None:
    invitation = db.session.get(Invitation, payload["invitation_id"])
    if invitation is None or not invitation.is_open:
        return  # revoked or accepted before the worker got to it: nothing to send
    # The token goes after "#": see views/links.py.
    link = f"{external_url('accounts.invitation_link')}#{invitations.invitation_token(invitation)}"
    with force_locale(invitation.locale):
        context = {
            "link": link,
            "organisation": invitation.organisation.name,
            "expires_at": invitation.expires_at,
        }
        mail.send_mail(
            invitation.email,
            _("You are invited to join %(org)s", org=invitation.organisation.name),
            render_template("accounts/email/invitation.txt", **context),
            render_template("accounts/email/invitation.html", **context),
            language=invitation.locale,
        )


def send_password_reset_email(payload: dict[str, Any]) -> None:
    reset = db.session.get(PasswordReset, payload["reset_id"])
    if reset is None or reset.used_at is not None:
        return
    token = password_reset.password_reset_token(reset)
    link = f"{external_url('accounts.password_reset_link')}#{token}"
    language = reset.user.locale or "en"
    with force_locale(language):
        context = {"link": link, "expires_at": reset.expires_at}
        mail.send_mail(
            reset.user.email,
            _("Reset your password"),
            render_template("accounts/email/password_reset.txt", **context),
            render_template("accounts/email/password_reset.html", **context),
            language=language,
        )


def send_lockout_email(payload: dict[str, Any]) -> None:
    """Only what the owner needs: that sign-in paused, until when, and what to do. No address,
    place or device of whoever tried: that would be personal data of someone, and of no use."""
    user = db.session.get(User, payload["user_id"])
    if user is None or user.password_hash is None:
        return
    until = datetime.fromisoformat(payload["until"])
    language = user.locale or "en"
    with force_locale(language):
        context = {
            "until": until,
            "reset_link": external_url("accounts.forgot_password"),
        }
        mail.send_mail(
            user.email,
            _("Sign-in to your ngo account was paused"),
            render_template("accounts/email/lockout.txt", **context),
            render_template("accounts/email/lockout.html", **context),
            language=language,
        )


# The outbox kinds this domain enqueues and the function the worker runs for each
# (registered by accounts.init_app).
HANDLERS: dict[str, outbox.Handler] = {
    "accounts.invitation_email": send_invitation_email,
    "accounts.password_reset_email": send_password_reset_email,
    signin.LOCKOUT_EMAIL: send_lockout_email,
}
