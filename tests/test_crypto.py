from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from ngo import crypto
from ngo.extensions import db


def test_round_trip(app):
    token = crypto.encrypt("Alaksandr, Stolin")
    assert b"Stolin" not in token
    assert crypto.decrypt(token) == "Alaksandr, Stolin"


def test_rotation_keeps_old_values_readable(app):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app.config["NGO_DATA_KEYS"] = old_key
    token = crypto.encrypt("secret")
    app.config["NGO_DATA_KEYS"] = f"{new_key},{old_key}"
    assert crypto.decrypt(token) == "secret"
    rotated = crypto.reencrypt(token)
    app.config["NGO_DATA_KEYS"] = new_key
    assert crypto.decrypt(rotated) == "secret"
    with pytest.raises(crypto.DataKeyError):
        crypto.decrypt(token)


def test_tampering_is_detected_without_revealing_the_value(app):
    token = bytearray(crypto.encrypt("very private"))
    token[-5] ^= 1
    with pytest.raises(crypto.DataKeyError) as info:
        crypto.decrypt(bytes(token))
    assert "private" not in str(info.value)


def test_unusable_key_setting_is_explained(app):
    app.config["NGO_DATA_KEYS"] = "not-a-key"
    with pytest.raises(crypto.DataKeyError, match="not a Fernet key"):
        crypto.encrypt("x")


def test_totp_secret_is_encrypted_in_the_raw_row(app, make_user):
    user = make_user("caseworker")
    raw = db.session.execute(
        text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user.id}
    ).scalar_one()
    assert user.totp_secret.encode() not in bytes(raw)
    assert crypto.decrypt(bytes(raw)) == user.totp_secret
