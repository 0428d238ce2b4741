"""URLs of the accounts domain, split by audience: sign-in, own settings, administration."""

from flask import Blueprint, current_app, session

bp = Blueprint("accounts", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def login_rate_limit() -> str:
    """Every form that takes a password or a code shares the sign-in limit."""
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def restart_session() -> None:
    """Drop everything from before a sign-in or sign-out (the chosen language is a cookie of
    its own and stays)."""
    session.clear()


from ngo.accounts.views import admin, auth, settings  # noqa: E402, F401  (registers routes)
