"""Fixtures of the appeals tests: staff of one organisation, the seed appeal's person and a
draft of the seed appeal with its four budget lines."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from ngo.campaigns import services
from ngo.cases import consent
from ngo.cases.models import Beneficiary, ConsentAudience, ConsentItem, ConsentMethod
from ngo.demo.cases import STORY_TITLE, seed_cases
from ngo.extensions import db
from ngo.money import Money

SEED_LINES = [
    ("Rent for three months and deposit", 210_000),
    ("Basic necessities, clothes and shoes for all in season", 100_000),
    ("Food, household expenses, school supplies", 70_000),
    ("Retraining and the code 95 exam", 60_000),
]


@pytest.fixture
def staff(organisation, make_user):
    return {
        "caseworker": make_user("caseworker"),
        "verifier": make_user("verifier"),
        "admin": make_user("admin"),
    }


@pytest.fixture
def alexander(app, organisation, staff):
    db.session.refresh(organisation)
    seed_cases(organisation)
    db.session.commit()
    return db.session.scalars(select(Beneficiary).order_by(Beneficiary.id).limit(1)).one()


@pytest.fixture
def appeal(alexander, staff):
    appeal = services.create_appeal(
        alexander, currency="EUR", language="en", title=STORY_TITLE, actor=staff["caseworker"]
    )
    for label, amount in SEED_LINES:
        services.add_budget_line(
            appeal,
            amount=Money(amount, "EUR"),
            label=label,
            language="en",
            essential=amount != 60_000,
            actor=staff["caseworker"],
        )
    db.session.commit()
    return appeal


def consent_to_photo(person, actor) -> None:
    """The person agrees to a public photo (a cover needs it)."""
    consent.record_consent(
        person,
        items=[ConsentItem.PHOTO],
        audiences=[ConsentAudience.PUBLIC_PAGE],
        given_on=date.today(),
        expires_on=None,
        method=ConsentMethod.VERBAL_WITNESSED,
        witness_name="Volunteer",
        form_evidence_id=None,
        actor=actor,
    )


def publish(appeal, staff) -> None:
    """Through the real gate, with two people."""
    digest = services.submit_for_review(appeal, actor=staff["caseworker"])
    services.approve_and_publish(appeal, approver=staff["admin"], digest=digest)
    db.session.commit()
