"""Accounts: users, organisations, memberships, sign-in, two-factor, invitations, and the one
policy (`policy.py`). The lowest domain: it imports no other."""

from __future__ import annotations

from flask import Flask

from ngo import outbox
from ngo.extensions import login_manager


def init_app(app: Flask) -> None:
    from ngo.accounts import access, audit_names, cli, notifications, policy, sessions, views
    from ngo.accounts.forms import ROLE_LABELS
    from ngo.accounts.models import Role

    # The modules of routes on views.bp and views.admin_bp.
    from ngo.accounts.views import admin, auth, links, settings, work  # noqa: F401

    login_manager.user_loader(access.load_user)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"
    # Flask-Login has no public setting for this; its default trusts X-Forwarded-For blindly.
    login_manager._session_identifier_generator = sessions.session_identifier
    audit_names.register(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.admin_bp)
    cli.register(app)
    for kind, handler in notifications.HANDLERS.items():
        outbox.register_handler(app, kind, handler)
    app.jinja_env.globals.update(
        acting_membership=access.current_membership,
        may=lambda membership, action: policy.may(membership, policy.Action(action)),
        role_label=lambda role: str(ROLE_LABELS[Role(role)]),
    )
