"""Command-line interface: `flask --app ngo <command>`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ngo import audit, demo
from ngo.accounts import services
from ngo.accounts.models import Organisation, Role, User
from ngo.accounts.services import AccountError
from ngo.chain import Checkpoint, CheckpointFormatError
from ngo.extensions import db
from ngo.unit_of_work import transaction

audit_cli = AppGroup("audit", help="Inspect the audit log.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.ClickException("No password given.")
    return password


@click.command("create-admin")
@click.argument("email")
@click.option("--org", "org_name", required=True, help="Organisation name; created if missing.")
@click.option("--name", "display_name", default="", help="Display name of the administrator.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--platform-admin/--no-platform-admin",
    default=True,
    help="Also allow creating organisations (default: yes).",
)
def create_admin_command(
    email: str, org_name: str, display_name: str, password_stdin: bool, platform_admin: bool
) -> None:
    """Create an administrator of ORG, who can then invite everyone else."""
    from email_validator import EmailNotValidError, validate_email

    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise click.ClickException(f"Not a valid e-mail address: {exc}") from exc
    password = _read_password(password_stdin)
    try:
        with transaction():
            organisation = db.session.scalars(
                db.select(Organisation).where(Organisation.name == " ".join(org_name.split()))
            ).first() or services.create_organisation(org_name, actor=None)
            user = services.create_user(
                email,
                password,
                display_name=display_name,
                organisation=organisation,
                role=Role.ADMIN,
                actor=None,
                is_platform_admin=platform_admin,
            )
    except AccountError as exc:
        raise click.ClickException(str(exc.message)) from exc
    click.echo(f"Created administrator #{user.id} of {organisation.name}.")
    click.echo("At first sign-in they will set up two-factor authentication.")


# Account-wide actions of the deployment's operator ---------------------------------------
# An admin of one organisation may not lock, unlock or reset an account that also belongs to
# another (policy.account_action_refusal); whoever runs the deployment can, from here.


def _account_or_fail(email: str) -> User:
    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException("No account uses this e-mail address.")
    return user


@click.command("lock-user")
@click.argument("email")
def lock_user_command(email: str) -> None:
    """Lock the account of EMAIL everywhere and end its sessions, until unlock-user."""
    user = _account_or_fail(email)
    if user.locked_at is not None:
        click.echo(f"Account #{user.id} was already locked.")
        return
    with transaction():
        services.lock_user(user, actor=None, organisation_id=None, reason="operator")
    click.echo(f"Locked account #{user.id}; its sessions have ended.")


@click.command("unlock-user")
@click.argument("email")
def unlock_user_command(email: str) -> None:
    """Lift the lock of EMAIL's account and any pause after wrong passwords."""
    user = _account_or_fail(email)
    with transaction():
        services.unlock_user(user, actor=None, organisation_id=None)
    click.echo(f"Account #{user.id} can sign in again.")


@click.command("reset-2fa")
@click.argument("email")
def reset_second_factor_command(email: str) -> None:
    """Turn off EMAIL's second factor: they set it up again at their next sign-in."""
    user = _account_or_fail(email)
    with transaction():
        services.reset_second_factor(user, actor=None, organisation_id=None)
    click.echo(
        f"Two-factor authentication of account #{user.id} was reset; its sessions have ended."
    )


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed a database that has no users yet.")
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo organisation and one user per role (idempotent)."""
    if if_empty and not demo.database_is_empty():
        click.echo("The database already has data: demo data not loaded.")
        if current_app.config["NGO_ENV"] != "development":
            return
        logins = [
            demo.DemoLogin(role, f"{role.value}@{demo.DEMO_DOMAIN}", demo.demo_password(role))
            for role in Role
            if services.find_user_by_email(f"{role.value}@{demo.DEMO_DOMAIN}")
        ]
    else:
        with transaction():
            logins = demo.seed_demo()
        click.echo(f"Demo organisation: {demo.DEMO_ORGANISATION}")
    if not logins:
        return
    click.echo("Demo logins:")
    for login in logins:
        password = login.password or "(unchanged)"
        click.echo(f"  {login.role.value:<11} {login.email:<32} {password}")
    if current_app.config["NGO_ENV"] == "development":
        click.echo("Demo users skip two-factor set-up in development mode only.")


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
    external = _read_checkpoint(given) if given else None
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


def _read_checkpoint(given: str) -> Checkpoint:
    path = Path(given)
    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else given
        return Checkpoint.from_line(text)
    except (OSError, UnicodeDecodeError, CheckpointFormatError) as exc:
        raise click.ClickException(
            f"Not a checkpoint written by `audit checkpoint`: {exc}."
        ) from exc


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
    from ngo.cases.rotation import rotate_data_keys

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


@click.command("reconcile-listings")
def reconcile_listings_command() -> None:
    """Recompute which appeals the public site lists (the worker also does it hourly)."""
    from ngo.campaigns.visibility import reconcile_listings_task

    count = reconcile_listings_task()
    click.echo(f"Checked {count} appeal listing(s).")


def register(app: Flask) -> None:
    app.cli.add_command(create_admin_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(rotate_data_key_command)
    app.cli.add_command(reconcile_listings_command)
    app.cli.add_command(lock_user_command)
    app.cli.add_command(unlock_user_command)
    app.cli.add_command(reset_second_factor_command)
