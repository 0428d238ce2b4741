"""Signing in and out, and the temporary lock-out after wrong passwords or codes.

Wrong guesses are counted per account. Every LOGIN_LOCKOUT_THRESHOLD of them pause sign-in to
the account for a while: LOGIN_LOCKOUT_FIRST_SECONDS the first time, twice as long each further
time, never longer than LOGIN_LOCKOUT_MAX_SECONDS; a successful sign-in starts the count again.
A pause ends by itself, so a stranger who knows only an address can no longer lock its owner out
for good (the per-address sign-in rate limit still slows any one client down). During a pause
no password is checked and no guess is counted, and the answer is the same as for a wrong
password, so the page tells nobody whether the address has an account, nor whether a guess made
during the pause was right. The owner hears of it by e-mail. A deliberate lock (User.locked_at,
by an administrator or the operator) is a different thing and does not end by itself.

Functions take the user, change state and flush; the caller (a view) commits, also after a
failure, so that the count sticks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask import current_app

from ngo import audit, outbox
from ngo.accounts import passwords, two_factor
from ngo.accounts.models import User
from ngo.accounts.services import find_user_by_email, home_organisation_id
from ngo.timeutil import utcnow

LOCKOUT_EMAIL = "accounts.lockout_email"
# The owner is told of the first pause of a run of failures, then of every this-many-th pause:
# an attacker who keeps guessing must not be able to fill the owner's mailbox either. With the
# default one-hour cap that is about once a day.
TELL_OWNER_EVERY = 24


class LoginResult(StrEnum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginAttempt:
    result: LoginResult
    user: User | None = None


def paused_until(user: User, now: datetime | None = None) -> datetime | None:
    """The end of the account's current sign-in pause, or None if it is not paused."""
    now = now or utcnow()
    if user.locked_until is not None and user.locked_until > now:
        return user.locked_until
    return None


def check_password_login(email: str, password: str) -> LoginAttempt:
    """First factor. A deliberately locked account is reported as locked only to someone who
    knows its password; a paused one gets the answer of a wrong password (see above)."""
    user = find_user_by_email(email)
    if user is None or user.password_hash is None or paused_until(user):
        passwords.burn_verification_time(password)
        return LoginAttempt(LoginResult.INVALID)
    if not passwords.verify_password(user.password_hash, password):
        register_failed_login(user)
        return LoginAttempt(LoginResult.INVALID)
    if user.locked_at is not None:
        return LoginAttempt(LoginResult.LOCKED, user)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return LoginAttempt(LoginResult.OK, user)


def lockout_seconds(pause_number: int) -> int:
    """How long the n-th pause of a run of failures lasts (n = 1, 2, ...)."""
    first = int(current_app.config["LOGIN_LOCKOUT_FIRST_SECONDS"])
    cap = int(current_app.config["LOGIN_LOCKOUT_MAX_SECONDS"])
    # The exponent is bounded so that a very long run does not build a huge integer.
    return min(cap, first * 2 ** min(pause_number - 1, 32))


def register_failed_login(user: User) -> None:
    """Count a wrong password or code; every threshold-th one starts a pause."""
    user.failed_logins += 1
    threshold = int(current_app.config["LOGIN_LOCKOUT_THRESHOLD"])
    if user.failed_logins % threshold:
        return
    pause_number = user.failed_logins // threshold
    seconds = lockout_seconds(pause_number)
    user.locked_until = utcnow() + timedelta(seconds=seconds)
    audit.record(
        "user.locked_out",
        actor_id=None,
        organisation_id=home_organisation_id(user),
        object_type="user",
        object_id=user.id,
        details={"seconds": seconds, "failures": user.failed_logins},
    )
    if pause_number == 1 or pause_number % TELL_OWNER_EVERY == 0:
        outbox.enqueue(LOCKOUT_EMAIL, {"user_id": user.id, "until": user.locked_until.isoformat()})


def check_second_factor(user: User, code: str) -> bool:
    if paused_until(user):
        return False  # not checked and not counted: the pause started after the password step
    if two_factor.check_totp(user, code) or two_factor.use_recovery_code(user, code):
        return True
    register_failed_login(user)
    return False


def complete_login(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    audit.record(
        "user.logged_in",
        actor_id=user.id,
        organisation_id=home_organisation_id(user),
        object_type="user",
        object_id=user.id,
    )


def sign_out(user: User) -> None:
    """End every session of the user: a saved copy of the cookie no longer signs anyone in."""
    user.session_version += 1
    audit.record(
        "user.logged_out",
        actor_id=user.id,
        organisation_id=home_organisation_id(user),
        object_type="user",
        object_id=user.id,
    )


def confirm_password(user: User, password: str) -> bool:
    """Re-check a known user's password; a wrong one counts towards the pause like a failed
    sign-in, and during a pause nothing is checked."""
    if paused_until(user):
        passwords.burn_verification_time(password)
        return False
    if passwords.verify_password(user.password_hash, password):
        return True
    register_failed_login(user)
    return False
