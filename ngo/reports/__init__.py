"""Receipts, appeal accountability reports, funders, grants and their scheduled reports: the
PDFs the worker renders (WeasyPrint, signed) and mails. Reads donations and campaigns; nothing
below it imports it."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registers the reports domain's blueprints, outbox handlers, commands and hooks; each part
    (receipts, appeal reports, funders) adds its own line here."""
    from ngo.reports import funders, models

    del models  # imported for its tables (the report archive, the signing keys)
    funders.init_app(app)
