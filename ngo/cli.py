"""Command-line interface of the core: `flask --app ngo audit ...`. Each domain adds its own
commands in its init_app (accounts: create-admin...; cases: rotate-data-key; campaigns: safety,
reconcile-listings; demo: seed-demo)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ngo import audit
from ngo.chain import Checkpoint, CheckpointFormatError
from ngo.unit_of_work import transaction

audit_cli = AppGroup("audit", help="Inspect the audit log.")


@audit_cli.command("verify")
@click.option(
    "--checkpoint",
    "given",
    metavar="FILE_OR_LINE",
    help="Also check against a checkpoint kept outside: a file holding its line, or the line.",
)
def audit_verify_command(given: str | None) -> None:
    """Check the keyed chain and the signed checkpoints; exits 1 and names the first event that
    cannot be trusted (altered, deleted, or cut off after a checkpoint)."""
    external = read_checkpoint(given) if given else None
    report = audit.verify_chain(external=external)
    if report.kind == "foreign":
        click.echo(
            f"The given checkpoint does not fit this deployment: {report.problem}.", err=True
        )
        sys.exit(1)
    if not report.ok:
        # A checkpoint that no longer matches says the log changed up to there, not where.
        walked = report.kind in ("deleted", "altered")
        click.echo(
            f"Audit chain BROKEN at event {report.broken_at_seq}: {report.problem}."
            + (f" {report.events_checked} events before it are intact." if walked else ""),
            err=True,
        )
        sys.exit(1)
    click.echo(
        f"Audit chain intact: {report.events_checked} events, head {report.head_hash}; "
        f"{report.checkpoints_checked} signed checkpoint(s) agree with it."
    )
    if external is not None:
        click.echo(
            f"It contains event {external.seq} as the given checkpoint of "
            f"{external.time_text} recorded it."
        )


def read_checkpoint(given: str) -> Checkpoint:
    path = Path(given)
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else given
        return Checkpoint.from_line(text)
    except (OSError, UnicodeDecodeError, CheckpointFormatError) as exc:
        raise click.ClickException(f"Not a checkpoint line written by ngo: {exc}.") from exc


@audit_cli.command("checkpoint")
def audit_checkpoint_command() -> None:
    """Sign the head of the chain into a new checkpoint and print it (beat writes one hourly).

    Keep the last line somewhere this server cannot change: `audit verify --checkpoint` then
    notices if events up to it were deleted, even together with the stored checkpoints."""
    try:
        with transaction():
            row = audit.write_checkpoint()
            checkpoint = row.as_checkpoint()
    except audit.AuditChainError as exc:
        click.echo(
            f"No checkpoint written: the chain is BROKEN at event {exc.report.broken_at_seq}: "
            f"{exc.report.problem}.",
            err=True,
        )
        sys.exit(1)
    click.echo(f"Checkpoint #{checkpoint.number} of the audit log:")
    click.echo(f"  seq         {checkpoint.seq}")
    click.echo(f"  head hash   {checkpoint.head_hash}")
    click.echo(f"  time (UTC)  {checkpoint.time_text}")
    click.echo(f"  signature   {checkpoint.signature}")
    click.echo(f"  public key  {checkpoint.public_key}")
    click.echo("Keep this line outside this server; `flask --app ngo audit verify --checkpoint")
    click.echo("LINE_OR_FILE` checks the log against it:")
    click.echo(checkpoint.to_line())


@audit_cli.command("public-key")
def audit_public_key_command() -> None:
    """Print the public key that checks the checkpoints (from NGO_AUDIT_SIGNING_KEY)."""
    click.echo(audit.public_key())


def register(app: Flask) -> None:
    app.cli.add_command(audit_cli)
