"""Receipts, appeal accountability reports, funders, grants and their scheduled reports: the
PDFs the worker renders (WeasyPrint, signed) and mails. Reads donations and campaigns; nothing
below it imports it."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the reports domain's blueprints, outbox handlers, commands and hooks; each part
    (receipts, appeal reports, funders) adds its own line here."""
    from ngo import signals
    from ngo.campaigns.panels import register_appeal_panel
    from ngo.reports import (
        appeal_reports,
        audit_names,
        erasure,
        funders,
        models,
        receipts,
        runner,
        views,
        views_signing,
    )
    from ngo.reports.models import ReportKind

    del models  # imported for its tables (the report archive, the signing keys)
    # The archive's worker side: one outbox kind for every report, a renderer per kind.
    runner.init_app(app)
    audit_names.register(app)
    runner.register_renderer(app, ReportKind.APPEAL, appeal_reports.render_appeal_report)
    app.register_blueprint(views.bp)
    app.register_blueprint(views_signing.bp)
    register_appeal_panel(app, views.appeal_panel)
    funders.init_app(app)
    receipts.init_app(app)
    # Erasing a case erases the stored reports that hold its appeal's public text.
    signals.case_erased.connect(erasure.erase_reports_of_case)
