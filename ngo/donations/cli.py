"""`flask --app ngo donations ...` and `flask --app ngo ledger ...`: one unit of work each."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from ngo.accounts.models import Organisation
from ngo.chained_log import ChainError
from ngo.cli import read_checkpoint
from ngo.donations import ledger, rights
from ngo.donations.models import Donor
from ngo.extensions import db
from ngo.rules import RuleError
from ngo.unit_of_work import transaction

donations_cli = AppGroup(
    "donations", help="Donations: bank statements, exchange rates, donors' rights."
)
ledger_cli = AppGroup("ledger", help="The double-entry ledger of every money movement.")


def register(app: Flask) -> None:
    from ngo.donations.cli_statements import import_statement_command

    donations_cli.add_command(import_statement_command)
    app.cli.add_command(donations_cli)
    app.cli.add_command(ledger_cli)


def _organisation(name: str) -> Organisation:
    organisation = db.session.scalars(
        select(Organisation).where(Organisation.name == " ".join(name.split()))
    ).first()
    if organisation is None:
        click.echo(f"No organisation is named {name!r}.", err=True)
        sys.exit(2)
    return organisation


def _donor(email: str, organisation: Organisation) -> Donor:
    donor = rights.find_donor(organisation.id, email)
    if donor is None:
        # The address is not repeated: the terminal's scrollback is a log too.
        click.echo(f"{organisation.name} holds no donor with that e-mail address.", err=True)
        sys.exit(1)
    return donor


@donations_cli.command("export-donor")
@click.argument("email")
@click.option("--org", "org_name", required=True, help="The organisation's name.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the JSON to this file (mode 0600) instead of standard output.",
)
def export_donor_command(email: str, org_name: str, output: str | None) -> None:
    """Everything the organisation holds about the donor with this e-mail, as JSON
    (audited; the actor is the operator)."""
    with transaction():
        donor = _donor(email, _organisation(org_name))
        data = rights.export_donor(donor, actor=None)
    if output is None:
        click.echo(data.decode("utf-8"))
        return
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    click.echo(f"Wrote the export of donor #{donor.id} to {output}.")


@donations_cli.command("erase-donor")
@click.argument("email")
@click.option("--org", "org_name", required=True, help="The organisation's name.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_donor_command(email: str, org_name: str, yes: bool) -> None:
    """Erase the donor with this e-mail: name, e-mail, messages and the display names of their
    gifts go; the gifts and the ledger stay."""
    with transaction():
        donor = _donor(email, _organisation(org_name))
        if not yes:
            click.confirm(f"Erase the personal data of donor #{donor.id}?", abort=True)
        try:
            erased = rights.erase_donor(donor, actor=None)
        except RuleError as exc:
            click.echo(f"Not erased: {exc.message}", err=True)
            sys.exit(1)
    if erased:
        click.echo(f"Donor #{donor.id} was erased; their gifts stay in the ledger.")
    else:
        click.echo(f"Donor #{donor.id} had been erased already.")


@ledger_cli.command("verify")
@click.option(
    "--checkpoint",
    "given",
    metavar="LINE_OR_FILE",
    help="Also check against a checkpoint kept outside: a file holding its line, or the line.",
)
def ledger_verify_command(given: str | None) -> None:
    """Check the chain against its checkpoints, that every transaction balances, and that every
    appeal's public counters equal the journal's sums. Exits 1 on any difference."""
    external = read_checkpoint(given) if given else None
    report = ledger.verify(db.session(), external=external)
    problems = []
    if not report.chain.ok:
        problems.append(
            f"the chain is BROKEN at transaction {report.chain.broken_at_seq}: "
            f"{report.chain.problem}"
        )
    problems += [f"transaction {tid} does not balance" for tid in report.unbalanced_transactions]
    problems += report.counter_differences
    for problem in problems:
        click.echo(f"Ledger: {problem}.", err=True)
    if problems:
        sys.exit(1)
    click.echo(
        f"Ledger intact: {report.chain.entries_checked} transactions, head "
        f"{report.chain.head_hash}; {report.chain.checkpoints_checked} signed checkpoint(s) "
        "agree with it; every transaction balances; every appeal's raised, funded and spent "
        "equal the journal."
    )


@ledger_cli.command("checkpoint")
def ledger_checkpoint_command() -> None:
    """Sign the head of the ledger's chain into a checkpoint and print it (beat writes one
    hourly); keep the line outside this server for `ledger verify --checkpoint`."""
    try:
        with transaction():
            checkpoint = ledger.LEDGER_LOG.write_checkpoint().as_checkpoint()
    except ChainError as exc:
        click.echo(
            f"No checkpoint written: the ledger's chain is BROKEN at transaction "
            f"{exc.report.broken_at_seq}: {exc.report.problem}.",
            err=True,
        )
        sys.exit(1)
    click.echo(f"Checkpoint #{checkpoint.number} of the ledger, seq {checkpoint.seq}:")
    click.echo(checkpoint.to_line())


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
