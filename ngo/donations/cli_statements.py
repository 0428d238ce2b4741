"""`flask --app ngo donations import-statement FILE...`: what the treasurer's upload does, for
a nightly job. One transaction per file; a malformed file is named with its line, nothing of it
is kept, the other files are still imported, and the command exits 2."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import or_, select

from ngo.accounts.models import Organisation
from ngo.donations.statement_import import import_statement
from ngo.donations.statements import FORMATS, StatementFormatError
from ngo.extensions import db
from ngo.rules import RuleError
from ngo.unit_of_work import transaction


def _organisation(name: str) -> Organisation:
    found = db.session.scalars(
        select(Organisation).where(or_(Organisation.name == name, Organisation.slug == name))
    ).first()
    if found is None:
        click.echo(f"No organisation is called {name!r}.", err=True)
        sys.exit(2)
    return found


@click.command("import-statement")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "format_", type=click.Choice(FORMATS), help="Default: from the content.")
@click.option("--mapping", help="The saved CSV column mapping to read a CSV file with.")
@click.option("--org", help="The organisation (name or slug); default: the statement's IBAN.")
def import_statement_command(
    files: tuple[Path, ...], format_: str | None, mapping: str | None, org: str | None
) -> None:
    """Import bank statements (CSV with --mapping, camt.053, MT940) and match their credits to
    pending bank-transfer gifts; prints `matched N, queued N, duplicate N` per file."""
    failed = False
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            click.echo(f"{file}: cannot be read: {exc.strerror}", err=True)
            failed = True
            continue
        try:
            with transaction():
                organisation = _organisation(org) if org else None
                result = import_statement(
                    data,
                    file.name,
                    actor=None,
                    organisation=organisation,
                    format=format_,
                    mapping_name=mapping,
                )
        except StatementFormatError as exc:
            where = f"{file}, line {exc.line_number}" if exc.line_number else str(file)
            click.echo(f"{where}: {exc.message}; nothing imported from it", err=True)
            failed = True
            continue
        except RuleError as exc:
            click.echo(f"{file}: {exc.message}; nothing imported from it", err=True)
            failed = True
            continue
        click.echo(f"{file}: {result.summary()}")
    if failed:
        sys.exit(2)
