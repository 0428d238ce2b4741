"""Demo data for `make run`: one organisation, one user per role, its cases, appeals and a
funder (the funder login is that funder's contact).

Development passwords are fixed and printed so a new user can sign in at once; demo users skip
two-factor enrolment only in development. In production the passwords are random and shown once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ngo.accounts import services
from ngo.accounts.models import Organisation, Role, User
from ngo.demo.appeals import seed_appeal
from ngo.demo.cases import seed_cases
from ngo.demo.funders import seed_funder
from ngo.demo.organisation import seed_organisation_details
from ngo.extensions import db

DEMO_ORGANISATION = "Bridge of Solidarity (demo)"
DEMO_DOMAIN = "demo.ngo.example"


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    email: str
    password: str | None  # None: the user already existed, its password was not changed


def demo_password(role: Role) -> str:
    if current_app.config["NGO_ENV"] == "development":
        return f"{role.value}-demo-password"
    return secrets.token_urlsafe(12)


def database_is_empty() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is None


def seed_demo() -> list[DemoLogin]:
    """Create what is missing; running it twice changes nothing."""
    organisation = db.session.scalars(
        select(Organisation).where(Organisation.name == DEMO_ORGANISATION)
    ).first() or services.create_organisation(DEMO_ORGANISATION, actor=None)
    logins = []
    for role in Role:
        email = f"{role.value}@{DEMO_DOMAIN}"
        existing = services.find_user_by_email(email)
        if existing is not None:
            known = current_app.config["NGO_ENV"] == "development"
            logins.append(DemoLogin(role, email, demo_password(role) if known else None))
            continue
        password = demo_password(role)
        services.create_user(
            email,
            password,
            display_name=f"Demo {role.value}",
            organisation=organisation,
            role=role,
            actor=None,
            is_platform_admin=role is Role.ADMIN,
            is_demo=True,
        )
        logins.append(DemoLogin(role, email, password))
    db.session.flush()
    db.session.refresh(organisation)
    admin = services.find_user_by_email(f"{Role.ADMIN.value}@{DEMO_DOMAIN}")
    if admin is not None:
        seed_organisation_details(organisation, admin)
    seed_cases(organisation)
    seed_appeal(organisation)
    funder = services.find_user_by_email(f"{Role.FUNDER.value}@{DEMO_DOMAIN}")
    if admin is not None and funder is not None:
        seed_funder(organisation, admin, funder)
    return logins
