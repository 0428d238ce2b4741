"""`flask --app ngo seed-demo`: the demo organisation, its users and data for `make run`."""

from __future__ import annotations

import click
from flask import Flask, current_app

from ngo.accounts import services
from ngo.accounts.models import Role
from ngo.demo import seed as demo
from ngo.unit_of_work import transaction


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
    if any(login.role is Role.FUNDER for login in logins):
        click.echo(
            "The funder login is the contact of a demo foundation that funds the seed appeal:"
            " its portal, with last month's signed report, is at /funder."
        )
    if current_app.config["NGO_ENV"] == "development":
        click.echo("Demo users skip two-factor set-up in development mode only.")


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
