"""TOTP second factor with one-time recovery codes."""

from __future__ import annotations

import hashlib
import secrets
import time

import pyotp
import segno
from sqlalchemy import delete, select

from ngo.accounts.models import RecoveryCode, User
from ngo.extensions import db
from ngo.timeutil import utcnow

ISSUER = "ngo"
RECOVERY_CODE_COUNT = 10
TOTP_PERIOD = 30


def start_enrolment(user: User) -> str:
    """Give the user a fresh secret to scan; it only takes effect once a code confirms it."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = None
    user.totp_last_step = None
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_data_uri(user: User) -> str:
    """The QR code is drawn here, not by a third-party service, so the secret never leaves us."""
    return segno.make(provisioning_uri(user), error="m").svg_data_uri(scale=5, border=2)


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code if ch.isalnum()).lower()


def check_totp(user: User, code: str, at: float | None = None) -> bool:
    """Accept a current code once: a code already used (or an older one) is refused."""
    if not user.totp_secret:
        return False
    code = _normalise_code(code)
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = time.time() if at is None else at
    current_step = int(now // TOTP_PERIOD)
    for step in (current_step - 1, current_step, current_step + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if secrets.compare_digest(totp.at(step * TOTP_PERIOD), code):
            user.totp_last_step = step
            return True
    return False


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Turn 2FA on if the code matches the pending secret; returns the new recovery codes."""
    if user.totp_secret is None or not check_totp(user, code):
        return None
    user.totp_enabled_at = utcnow()
    return issue_recovery_codes(user)


def _hash_code(code: str) -> str:
    return hashlib.sha256(_normalise_code(code).encode()).hexdigest()


def issue_recovery_codes(user: User) -> list[str]:
    """Replace all recovery codes; only their hashes are stored, so they are shown once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(c)) for c in codes)
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    if len(code) > 64:
        return False
    match = db.session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_code(code),
            RecoveryCode.used_at.is_(None),
        )
    ).first()
    if match is None:
        return False
    match.used_at = utcnow()
    return True


def remaining_recovery_codes(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def disable(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
