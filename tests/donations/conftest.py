"""Fixtures of the donations tests: the seed appeal, published, with its four budget lines
(three essential, the code-95 retraining line a stretch line)."""

from __future__ import annotations

import pytest

from ngo.demo.cases import STORY_TITLE
from ngo.donations.confirmation import confirm_donation
from ngo.extensions import db
from tests import factories

SEED_LINES = [
    ("Rent for three months and deposit", 210_000, True),
    ("Basic necessities, clothes and shoes for all in season", 100_000, True),
    ("Food, household expenses, school supplies", 70_000, True),
    ("Retraining and the code 95 exam", 60_000, False),
]


@pytest.fixture
def staff(organisation, make_user):
    return {
        "caseworker": make_user("caseworker"),
        "verifier": make_user("verifier"),
        "admin": make_user("admin"),
        "treasurer": make_user("treasurer"),
    }


@pytest.fixture
def appeal(app, organisation, staff):
    person = factories.seed_case(organisation, staff["caseworker"], staff["verifier"])
    return factories.AppealFactory(
        beneficiary=person,
        actor=staff["caseworker"],
        title=STORY_TITLE,
        lines=SEED_LINES,
        published_by=staff["admin"],
    )


@pytest.fixture
def give(appeal):
    """give(5_000, fee=30, line=None, currency=None): a confirmed gift to the appeal."""

    def give(amount_minor, *, fee=0, line=None, method="card", **kwargs):
        donation = factories.DonationFactory(
            appeal=appeal,
            amount_minor=amount_minor,
            budget_line_id=line.id if line is not None else None,
            method=method,
            **kwargs,
        )
        assert confirm_donation(donation, fee_minor=fee)
        db.session.flush()
        return donation

    return give
