"""URLs of the accounts domain, split by audience: sign-in, own settings, administration."""

from flask import Blueprint, current_app, session
from flask_login import login_user, logout_user

from ngo.accounts import sessions
from ngo.accounts.models import User

# The routes are in the modules beside this one; accounts.init_app imports them.
bp = Blueprint("accounts", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")

bp.before_app_request(sessions.enforce_session_limits)


def login_rate_limit() -> str:
    """Every form that takes a password or a code shares the sign-in limit."""
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def restart_session() -> None:
    """Drop everything from before a sign-in or sign-out (the chosen language is a cookie of
    its own and stays)."""
    session.clear()


def start_signed_in_session(user: User) -> None:
    """A fresh session for `user`, with nothing carried over from before the sign-in."""
    restart_session()
    login_user(user)
    sessions.stamp_sign_in()


def end_session() -> None:
    logout_user()
    restart_session()
