"""Password hashing with Argon2id, and the password rules users are told about."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 12
# Argon2 cost grows with input; a cap keeps a huge "password" from tying up a worker.
MAX_LENGTH = 256

_PROFILES = {
    "RFC_9106_LOW_MEMORY": profiles.RFC_9106_LOW_MEMORY,
    "CHEAPEST": profiles.CHEAPEST,  # tests only
}


def _hasher() -> PasswordHasher:
    profile = current_app.config.get("PASSWORD_HASH_PROFILE", "RFC_9106_LOW_MEMORY")
    return PasswordHasher.from_parameters(_PROFILES[profile])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash or len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


# Spent on unknown e-mails so that timing does not reveal which accounts exist.
def burn_verification_time(password: str) -> None:
    verify_password(_dummy_hash(), password)


def _dummy_hash() -> str:
    cache = current_app.extensions.setdefault("ngo_dummy_password_hash", {})
    if "hash" not in cache:
        cache["hash"] = hash_password("not-a-real-password-just-for-timing")
    return cache["hash"]
