"""Appeals, the staff write side: drafting, budgets, safe publication, updates, concerns."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """The domain's commands (`flask --app ngo safety ...`), added by the app factory."""
    from ngo.campaigns import cli

    cli.register(app)
