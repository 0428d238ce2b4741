"""A signed-in session ends on the server: at sign-out, when idle, after its lifetime, and it is
bound to the client's real address, not to a header the client writes."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from ngo.accounts import sessions
from ngo.extensions import db
from tests.conftest import login


def reaches_cases(client: FlaskClient, **kwargs: object) -> bool:
    response = client.get("/cases/", **kwargs)
    if response.status_code == 200:
        return True
    assert response.status_code == 302, response.status_code
    assert urlsplit(response.headers["Location"]).path == "/login"
    return False


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def age_session(client: FlaskClient, *, idle: int = 0, since_sign_in: int = 0) -> None:
    """Move the clocks kept in the (signed) session cookie back by so many seconds."""
    with client.session_transaction() as session:
        session[sessions.SEEN_AT] -= idle
        session[sessions.SIGNED_IN_AT] -= since_sign_in


def test_a_cookie_saved_before_sign_out_is_worthless(client, browser, make_user):
    user = make_user("caseworker")
    login(client, user)
    assert reaches_cases(client)
    saved = session_cookie(client)

    assert client.post("/logout").status_code == 302

    thief = browser()
    thief.set_cookie("session", saved)
    assert not reaches_cases(thief)
    assert not reaches_cases(client)


def test_sign_out_ends_the_other_sessions_of_the_user_too(client, browser, make_user):
    user = make_user("caseworker")
    login(client, user)
    other = browser()
    login(other, user)

    client.post("/logout")

    assert not reaches_cases(other)


def test_an_idle_session_ends(app, client, make_user):
    user = make_user("caseworker")
    login(client, user)
    limit = app.config["STAFF_IDLE_MINUTES"] * 60
    assert limit == 30 * 60

    age_session(client, idle=limit - 90)
    assert reaches_cases(client)  # a request just in time keeps it going
    age_session(client, idle=limit - 90)
    assert reaches_cases(client)
    age_session(client, idle=limit + 1)
    assert not reaches_cases(client)
    assert not reaches_cases(client)  # and it stays ended


def test_a_busy_session_still_ends_after_its_lifetime(app, client, make_user):
    user = make_user("caseworker")
    login(client, user)
    lifetime = app.config["SESSION_MAX_HOURS"] * 3600
    assert lifetime == 12 * 3600

    age_session(client, since_sign_in=lifetime - 60)
    assert reaches_cases(client)
    age_session(client, since_sign_in=120)
    assert not reaches_cases(client)


def test_reading_pages_refreshes_the_cookie_but_writes_nothing(app, client, make_user):
    user = make_user("caseworker")
    login(client, user)
    age_session(client, idle=120)
    with client.session_transaction() as session:
        before = session[sessions.SEEN_AT]
    statements: list[str] = []

    from sqlalchemy import event

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get("/dashboard")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    assert response.status_code == 200
    assert "session=" in response.headers.get("Set-Cookie", "")
    with client.session_transaction() as session:
        assert session[sessions.SEEN_AT] > before
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert writes == []


def test_a_session_without_the_clocks_is_not_accepted(client, make_user):
    user = make_user("caseworker")
    login(client, user)
    with client.session_transaction() as session:
        del session[sessions.SIGNED_IN_AT]

    assert not reaches_cases(client)


class TestShorterLimits:
    @pytest.fixture
    def app_config(self):
        return {"STAFF_IDLE_MINUTES": 5, "SESSION_MAX_HOURS": 1}

    def test_the_limits_are_settings(self, client, make_user):
        user = make_user("caseworker")
        login(client, user)
        age_session(client, idle=5 * 60 + 1)
        assert not reaches_cases(client)


def test_limits_come_from_the_environment(monkeypatch, tmp_path):
    from ngo.config import ConfigurationError, load_config

    monkeypatch.setenv("NGO_STAFF_IDLE_MINUTES", "15")
    monkeypatch.setenv("NGO_SESSION_MAX_HOURS", "8")
    config = load_config(str(tmp_path))
    assert (config["STAFF_IDLE_MINUTES"], config["SESSION_MAX_HOURS"]) == (15, 8)
    monkeypatch.setenv("NGO_STAFF_IDLE_MINUTES", "0")
    with pytest.raises(ConfigurationError, match="NGO_STAFF_IDLE_MINUTES"):
        load_config(str(tmp_path))


# The identifier of "strong" session protection -------------------------------------------


def test_a_forwarded_for_header_neither_signs_out_nor_changes_the_identity(client, make_user):
    user = make_user("caseworker")
    login(client, user)

    for forged in ("203.0.113.9", "198.51.100.1, 10.0.0.1", "not an address"):
        assert reaches_cases(client, headers={"X-Forwarded-For": forged}), forged
    assert reaches_cases(client)


def test_a_stolen_cookie_does_not_work_from_another_address_even_claiming_the_victims(
    client, browser, make_user
):
    user = make_user("caseworker")
    login(client, user)  # from the test client's 127.0.0.1
    thief = browser()
    thief.set_cookie("session", session_cookie(client))

    assert not reaches_cases(
        thief,
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
        headers={"X-Forwarded-For": "127.0.0.1"},
    )
