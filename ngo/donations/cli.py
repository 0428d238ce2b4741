"""`flask --app ngo donations ...` and `flask --app ngo ledger ...`: each command one unit of
work."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ngo.unit_of_work import transaction

donations_cli = AppGroup("donations", help="Donations: statements, rates.")
ledger_cli = AppGroup("ledger", help="The double-entry ledger of every money movement.")


def register(app: Flask) -> None:
    app.cli.add_command(donations_cli)
    app.cli.add_command(ledger_cli)


@donations_cli.command("import-rates")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_rates(file: Path) -> None:
    """Store the ECB's euro reference rates from FILE (eurofxref-daily.xml or the 90-day
    history); rates already stored are left alone. Exits 2 on a malformed file, storing
    nothing from it."""
    from ngo.donations import ecb

    try:
        data = file.read_bytes()
    except OSError as exc:
        click.echo(f"{file}: cannot be read: {exc.strerror}", err=True)
        sys.exit(2)
    try:
        with transaction():
            result = ecb.import_reference_rates(data)
    except ecb.EcbFormatError as exc:
        click.echo(f"{file}: not the ECB's reference rates, nothing stored: {exc}", err=True)
        sys.exit(2)
    click.echo(
        f"{file}: {result.days} day(s), stored {result.stored}, "
        f"already stored {result.already_stored}, latest {result.latest}"
    )
    if result.skipped_currencies:
        click.echo(f"skipped unknown currencies: {', '.join(result.skipped_currencies)}")


__all__ = ["click", "donations_cli", "ledger_cli", "register"]
