"""The blueprints of the donations domain's staff pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("donations", __name__, url_prefix="/staff/donations")
donors_bp = Blueprint("donors", __name__, url_prefix="/staff/donors")
