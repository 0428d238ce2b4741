"""`flask --app ngo donations ...` and `flask --app ngo ledger ...`: each command one unit of work."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

donations_cli = AppGroup("donations", help="Donations: statements, rates.")
ledger_cli = AppGroup("ledger", help="The double-entry ledger of every money movement.")


def register(app: Flask) -> None:
    app.cli.add_command(donations_cli)
    app.cli.add_command(ledger_cli)


__all__ = ["click", "donations_cli", "ledger_cli", "register"]
