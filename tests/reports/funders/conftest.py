"""Fixtures of the funders' tests: the seed appeal (published, from the donations tests), a
funder of the organisation with one contact who signs in, a grant to the appeal and a monthly
report subscription."""

from __future__ import annotations

from datetime import date

import pytest

from ngo.money import Money
from ngo.reports.funders import services
from tests.donations.conftest import appeal, give, staff

__all__ = ["appeal", "give", "staff"]


@pytest.fixture
def funder(organisation, staff):
    return services.create_funder(
        organisation,
        services.FunderDetails(name="Open Society Fund", contact_person="Jana Nováková"),
        actor=staff["admin"],
    )


@pytest.fixture
def contact_user(make_user, funder, staff):
    user = make_user("funder", display_name="Funder Contact", email="contact@fund.example")
    services.link_member(funder, user.id, actor=staff["admin"])
    return user


@pytest.fixture
def grant(funder, appeal, staff):
    return services.create_grant(
        funder,
        services.GrantDetails(
            title="Relocation grant 2026",
            amount=Money(1_000_000, "EUR"),
            starts_on=date(2026, 1, 1),
            ends_on=date(2027, 12, 31),
            appeal_ids=[appeal.id],
        ),
        actor=staff["admin"],
    )


@pytest.fixture
def subscription(funder, contact_user, grant, staff):
    return services.create_subscription(
        funder,
        services.SubscriptionDetails(
            frequency="monthly", language="en", recipient_ids=[funder.contacts[0].id]
        ),
        actor=staff["admin"],
        today=date(2026, 11, 14),
    )
