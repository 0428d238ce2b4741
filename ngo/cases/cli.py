"""Commands of the cases domain: `flask --app ngo rotate-data-key`."""

from __future__ import annotations

import sys

import click
from flask import Flask

from ngo.cases.rotation import rotate_data_keys


@click.command("rotate-data-key")
@click.option(
    "--batch-size",
    default=500,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows re-encrypted per transaction.",
)
def rotate_data_key_command(batch_size: int) -> None:
    """Re-encrypt all personal data and evidence files with the first key of NGO_DATA_KEYS.

    Put the new key first in NGO_DATA_KEYS, keep the old ones after it, restart the
    application, run this, then remove the old keys. Safe to interrupt and run again.
    """
    report = rotate_data_keys(batch_size=batch_size, progress=click.echo)
    for table in report.tables:
        click.echo(
            f"{table.table}: {table.rotated} values re-encrypted, "
            f"{table.current} already on the newest key"
            + (f", {len(table.unreadable)} rows UNREADABLE" if table.unreadable else "")
        )
    files = report.files
    click.echo(
        f"evidence files: {files.rotated} re-encrypted, {files.current} already on the newest key"
        + (f", {len(files.unreadable)} UNREADABLE" if files.unreadable else "")
    )
    click.echo(
        f"Done: {report.values_rotated} values and {files.rotated} files re-encrypted, "
        f"{report.values_current} values and {files.current} files were already current."
    )
    if report.unreadable:
        # Ids and file names only: never a value.
        for table in report.tables:
            if table.unreadable:
                ids = ", ".join(str(i) for i in table.unreadable[:20])
                click.echo(f"Unreadable in {table.table}, row ids: {ids}", err=True)
        for name in files.unreadable[:20]:
            click.echo(f"Unreadable file: {name}", err=True)
        click.echo(
            "Some data could not be decrypted with any configured key and was left as it is. "
            "Do not remove the old keys until this is understood.",
            err=True,
        )
        sys.exit(1)


def register(app: Flask) -> None:
    app.cli.add_command(rotate_data_key_command)
