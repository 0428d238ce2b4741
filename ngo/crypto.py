"""Field and file encryption at rest with key rotation, and keyed blind indexes.

Keys come from NGO_DATA_KEYS (comma-separated Fernet keys, newest first) and never live in the
database, so a stolen database or backup holds only ciphertext. Fernet is authenticated: a
tampered value fails to decrypt instead of yielding altered data.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator


class DataKeyError(RuntimeError):
    """The configured data keys are unusable, or a value was encrypted with an unknown key."""


@lru_cache(maxsize=8)
def _keyring(keys_setting: str) -> MultiFernet:
    keys = [k.strip() for k in keys_setting.split(",") if k.strip()]
    if not keys:
        raise DataKeyError("NGO_DATA_KEYS is empty: set at least one Fernet key.")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except (ValueError, TypeError) as exc:
        raise DataKeyError(
            "NGO_DATA_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes)."
        ) from exc


def keyring() -> MultiFernet:
    return _keyring(str(current_app.config["NGO_DATA_KEYS"]))


def encrypt(plaintext: str) -> bytes:
    return keyring().encrypt(plaintext.encode("utf-8"))


def decrypt(token: bytes) -> str:
    try:
        return keyring().decrypt(token).decode("utf-8")
    except InvalidToken as exc:
        # Never include the value: the message may reach a log.
        raise DataKeyError("An encrypted value could not be decrypted with any data key.") from exc


def encrypt_bytes(data: bytes) -> bytes:
    return keyring().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return keyring().decrypt(token)
    except InvalidToken as exc:
        raise DataKeyError("An encrypted file could not be decrypted with any data key.") from exc


def blind_index(purpose: str, normalised_value: str) -> str:
    """A keyed hash that finds equal values without storing them. NGO_INDEX_KEY is separate
    from the data keys, so rotating those leaves every index valid."""
    key = hashlib.sha256(str(current_app.config["NGO_INDEX_KEY"]).encode()).digest()
    message = f"{purpose}\x00{normalised_value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def reencrypt(token: bytes) -> bytes:
    """Re-encrypt with the newest key (used by key rotation)."""
    return keyring().rotate(token)


class EncryptedText(TypeDecorator[str]):
    """A str column stored as Fernet ciphertext."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> bytes | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: bytes | None, dialect: object) -> str | None:
        return None if value is None else decrypt(bytes(value))


class EncryptedBytes(TypeDecorator[bytes]):
    """A bytes column stored as Fernet ciphertext (images not yet approved for the public)."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: object) -> bytes | None:
        return None if value is None else encrypt_bytes(value)

    def process_result_value(self, value: bytes | None, dialect: object) -> bytes | None:
        return None if value is None else decrypt_bytes(bytes(value))
