"""Funders: organisations that fund an NGO's appeals through grants, the people who sign in for
them (funder role, two factors), their report subscriptions and the beat schedule that makes
each funder's signed portfolio report and mails it; and the funder's read-only portal."""

from __future__ import annotations

from flask import Flask

from ngo import outbox, signals


def init_app(app: Flask) -> None:
    from ngo.reports import runner
    from ngo.reports.funders import delivery, models, services, tasks
    from ngo.reports.funders.views import admin, admin_bp, admin_subscriptions, portal, portal_bp
    from ngo.reports.models import ReportKind

    del models, tasks, admin, admin_subscriptions, portal  # their tables, tasks and routes
    app.register_blueprint(admin_bp)
    app.register_blueprint(portal_bp)
    for kind, handler in delivery.HANDLERS.items():
        outbox.register_handler(
            app, kind, handler, on_permanent_failure=delivery.ON_PERMANENT_FAILURE.get(kind)
        )
    runner.register_renderer(app, ReportKind.PORTFOLIO, delivery.render_portfolio_report)
    # An invited contact becomes the funder's contact in the transaction that makes them a member.
    signals.invitation_accepted.connect(services.link_accepted_invitation)
