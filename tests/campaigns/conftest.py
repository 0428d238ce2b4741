"""Fixtures of the appeals tests: staff of one organisation, the seed appeal's person and a
draft of the seed appeal with its four budget lines."""

from __future__ import annotations

from datetime import date

import pytest

from ngo.campaigns import services
from ngo.cases.models import ConsentAudience, ConsentItem
from ngo.demo.cases import STORY_TITLE
from ngo.extensions import db
from tests import factories

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
    return factories.seed_case(organisation, staff["caseworker"], staff["verifier"])


@pytest.fixture
def appeal(alexander, staff):
    appeal = factories.AppealFactory(
        beneficiary=alexander,
        actor=staff["caseworker"],
        title=STORY_TITLE,
        lines=[(label, amount, amount != 60_000) for label, amount in SEED_LINES],
    )
    db.session.commit()
    return appeal


def consent_to_photo(person, actor) -> None:
    """The person agrees to a public photo (a cover needs it)."""
    factories.ConsentFactory(
        beneficiary=person,
        actor=actor,
        items=[ConsentItem.PHOTO],
        audiences=[ConsentAudience.PUBLIC_PAGE],
        given_on=date.today(),
    )


def publish(appeal, staff) -> None:
    """Through the real gate, with two people."""
    digest = services.submit_for_review(appeal, actor=staff["caseworker"])
    services.approve_and_publish(appeal, approver=staff["admin"], digest=digest)
    db.session.commit()
