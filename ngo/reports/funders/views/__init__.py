"""The funders' pages: the admins' (funders, contacts, grants, subscriptions, "send now") and
the read-only portal of a funder's contacts."""

from __future__ import annotations

from flask import Blueprint

admin_bp = Blueprint("funders_admin", __name__, url_prefix="/admin/funders")
portal_bp = Blueprint("funder_portal", __name__, url_prefix="/funder")
