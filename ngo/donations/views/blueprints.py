"""The blueprints of the treasurer's donation pages (under /treasury/donations, beside the
statements' /treasury) and of the admin's donor-rights pages (/admin/donors). Their routes are
in gifts, funds and donors."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("donations", __name__, url_prefix="/treasury/donations")
donors_bp = Blueprint("donors", __name__, url_prefix="/admin/donors")
