"""Password reset: a link e-mailed to the account's address (accounts/tokens.py), valid for
PASSWORD_RESET_TTL_MINUTES and once. Operations flush; the caller commits."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from ngo import audit, outbox
from ngo.accounts.models import PasswordReset, User
from ngo.accounts.services import find_user_by_email, home_organisation_id, set_password
from ngo.accounts.tokens import load_link_record, make_link_token, new_nonce
from ngo.extensions import db
from ngo.timeutil import utcnow

RESET_LINK = "password-reset"


def request_password_reset(email: str) -> PasswordReset | None:
    """Send a reset link if the account exists; the caller says the same thing either way."""
    user = find_user_by_email(email)
    if user is None or user.password_hash is None:
        return None
    ttl = timedelta(minutes=int(current_app.config["PASSWORD_RESET_TTL_MINUTES"]))
    reset = PasswordReset(user=user, nonce=new_nonce(), expires_at=utcnow() + ttl)
    db.session.add(reset)
    db.session.flush()
    outbox.enqueue("accounts.password_reset_email", {"reset_id": reset.id})
    audit.record(
        "password_reset.requested",
        actor_id=None,
        organisation_id=home_organisation_id(user),
        object_type="user",
        object_id=user.id,
    )
    return reset


def password_reset_token(reset: PasswordReset) -> str:
    return make_link_token(RESET_LINK, reset.id, reset.nonce)


def load_password_reset(token: str) -> PasswordReset:
    return load_link_record(PasswordReset, RESET_LINK, token)


def reset_password(reset: PasswordReset, new_password: str) -> User:
    user = reset.user
    set_password(user, new_password, action="user.password_reset")
    reset.used_at = utcnow()
    # Whoever guessed before cannot use their guesses now, and the owner has just shown they
    # read the account's mail: the pause is lifted. A deliberate lock is not: an admin decides.
    user.locked_until = None
    user.failed_logins = 0
    return user
