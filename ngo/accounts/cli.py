"""Commands of the accounts domain: `flask --app ngo create-admin`, and the account-wide
actions of the deployment's operator (lock-user, unlock-user, reset-2fa)."""

from __future__ import annotations

import sys

import click
from flask import Flask

from ngo.accounts import services
from ngo.accounts.models import Organisation, Role, User
from ngo.accounts.services import AccountError
from ngo.extensions import db
from ngo.unit_of_work import transaction


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


def register(app: Flask) -> None:
    app.cli.add_command(create_admin_command)
    app.cli.add_command(lock_user_command)
    app.cli.add_command(unlock_user_command)
    app.cli.add_command(reset_second_factor_command)
