"""How long a signed-in session lives, and what ties it to one browser.

The session is a signed cookie, so the server cannot delete it; three things end it anyway:
- the user's session version (part of the id Flask-Login keeps, see User.get_id) moves on at
  sign-out, password change, lock and 2FA reset, so a cookie saved before that is worth nothing;
- an idle limit: the time of the last request is kept in the cookie itself and refreshed at most
  once a minute, so reading a page rewrites a cookie but never writes to the database;
- an absolute lifetime from the moment of sign-in, however busy the session.
"""

from __future__ import annotations

import time
from hashlib import sha512

from flask import current_app, request, session
from flask_login import logout_user

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# Seen-at is rewritten at most this often: a cookie per page would defeat caching for nothing.
SEEN_RESOLUTION_SECONDS = 60


def session_identifier() -> str:
    """What Flask-Login's "strong" protection binds a session to.

    Flask-Login's own identifier hashes the X-Forwarded-For header whenever a client sends one,
    whether or not a proxy of ours set it: anyone holding a stolen cookie could claim the
    victim's address, and a client changing the header would be signed out. request.remote_addr
    is the socket's address, or the proxy's view of the client once ProxyFix (NGO_PROXY_HOPS)
    has checked the trusted hops.
    """
    agent = request.headers.get("User-Agent", "")
    return sha512(f"{request.remote_addr}|{agent}".encode()).hexdigest()


def _now() -> int:
    return int(time.time())


def stamp_sign_in() -> None:
    """Call right after login_user: the lifetime and the idle clock start now."""
    now = _now()
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def has_expired() -> bool:
    signed_in_at, seen_at = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return True  # a session from before these limits, or one that was tampered with
    now = _now()
    idle = int(current_app.config["STAFF_IDLE_MINUTES"]) * 60
    lifetime = int(current_app.config["SESSION_MAX_HOURS"]) * 3600
    return now - seen_at > idle or now - signed_in_at > lifetime


def enforce_session_limits() -> None:
    """Before every request: end a signed-in session that sat idle or grew too old."""
    if "_user_id" not in session:
        return
    if has_expired():
        logout_user()
        session.clear()
        return
    now = _now()
    if now - session[SEEN_AT] >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT] = now
