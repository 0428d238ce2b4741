"""URLs of the accounts domain, split by audience: sign-in, own settings, administration."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")

from ngo.accounts.views import admin, auth, settings  # noqa: E402, F401  (registers routes)
