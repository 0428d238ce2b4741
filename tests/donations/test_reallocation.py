"""Moving money between an appeal's lines, its reserve and the general fund: one balanced
ledger transaction each, the counters moved with it, never more than the source holds."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ngo.audit import AuditEvent
from ngo.campaigns.models import Appeal, BudgetLine, OverfundingPolicy
from ngo.donations import chart
from ngo.donations.errors import ReallocationError
from ngo.donations.ledger import account_balances
from ngo.donations.models import LedgerTransaction
from ngo.donations.reallocation import GENERAL_FUND, RESERVE, holdings, move_funds
from ngo.extensions import db
from tests.donations.test_confirmation import assert_ledger_agrees, lines_of

ESSENTIAL = 210_000 + 100_000 + 70_000


@pytest.fixture
def with_reserve(appeal, give):
    """The appeal stops at its essential lines; 20 000 more than they need went to its reserve."""
    appeal.overfunding_policy = OverfundingPolicy.STOP.value
    db.session.flush()
    give(ESSENTIAL + 20_000)
    return appeal


def test_from_the_reserve_to_a_stretch_line(with_reserve, staff):
    appeal = with_reserve
    stretch = lines_of(appeal)[4]
    assert holdings(appeal).reserve_minor == 20_000
    move_funds(
        appeal,
        source=RESERVE,
        target=str(stretch.id),
        amount_minor=15_000,
        actor=staff["treasurer"],
    )
    db.session.expire_all()
    assert db.session.get(BudgetLine, stretch.id).funded_minor == 15_000
    assert db.session.get(Appeal, appeal.id).raised_minor == ESSENTIAL + 20_000
    assert holdings(appeal).reserve_minor == 5_000
    kinds = db.session.scalars(select(LedgerTransaction.kind).order_by(LedgerTransaction.id))
    assert list(kinds) == ["donation", "reallocation"]
    assert_ledger_agrees()
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "appeal.funds_reallocated")
    ).one()
    assert event.details["amount_minor"] == 15_000


def test_between_two_lines(with_reserve, staff):
    appeal = with_reserve
    rent, stretch = lines_of(appeal)[1], lines_of(appeal)[4]
    move_funds(
        appeal,
        source=str(rent.id),
        target=str(stretch.id),
        amount_minor=10_000,
        actor=staff["treasurer"],
    )
    lines = lines_of(appeal)
    assert (lines[1].funded_minor, lines[4].funded_minor) == (200_000, 10_000)
    assert_ledger_agrees()


def test_a_line_back_to_the_reserve(with_reserve, staff):
    appeal = with_reserve
    food = lines_of(appeal)[3]
    move_funds(
        appeal, source=str(food.id), target=RESERVE, amount_minor=70_000, actor=staff["admin"]
    )
    assert lines_of(appeal)[3].funded_minor == 0
    assert holdings(appeal).reserve_minor == 90_000
    assert_ledger_agrees()


def test_the_reserve_to_the_general_fund(with_reserve, staff):
    appeal = with_reserve
    move_funds(
        appeal, source=RESERVE, target=GENERAL_FUND, amount_minor=20_000, actor=staff["treasurer"]
    )
    balances = account_balances(appeal_id=appeal.id)
    assert balances[(chart.GENERAL_FUND, "EUR")] == -20_000
    assert balances.get((chart.appeal_reserve(appeal.id), "EUR"), 0) == 0
    # Raised is what was given to the appeal: passing it on does not un-give it.
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).raised_minor == ESSENTIAL + 20_000
    kinds = db.session.scalars(select(LedgerTransaction.kind).order_by(LedgerTransaction.id))
    assert list(kinds)[-1] == "general_fund_transfer"
    assert_ledger_agrees()


@pytest.mark.parametrize(
    ("source", "target", "amount", "message"),
    [
        (RESERVE, "stretch", 20_001, "more than the source holds"),
        ("rent", "stretch", 210_001, "more than the source holds"),
        ("stretch", "rent", 1, "more than the source holds"),
        (RESERVE, "rent", 1, "more than the line still needs"),
        (RESERVE, "stretch", 0, "above zero"),
        (RESERVE, "stretch", -5, "above zero"),
        (RESERVE, RESERVE, 100, "two different"),
        ("rent", GENERAL_FUND, 100, "Only the appeal's reserve"),
        (GENERAL_FUND, RESERVE, 100, "no longer the appeal's"),
        (RESERVE, "999999", 100, "Choose one of the appeal's"),
        (RESERVE, "abc", 100, "Choose one of the appeal's"),
    ],
)
def test_bad_moves_are_refused_and_post_nothing(
    with_reserve, staff, source, target, amount, message
):
    appeal = with_reserve
    names = {"rent": lines_of(appeal)[1].id, "stretch": lines_of(appeal)[4].id}
    source = str(names.get(source, source))
    target = str(names.get(target, target))
    with pytest.raises(ReallocationError, match=message):
        move_funds(appeal, source=source, target=target, amount_minor=amount, actor=staff["admin"])
    assert db.session.scalars(select(LedgerTransaction.kind)).all() == ["donation"]
    assert_ledger_agrees()


def test_a_line_of_another_appeal_is_not_a_place(with_reserve, staff, organisation):
    from tests import factories

    other = factories.AppealFactory(
        beneficiary=factories.seed_case(organisation, staff["caseworker"], staff["verifier"]),
        actor=staff["caseworker"],
        title="Another",
        lines=[("Something", 1_000, True)],
    )
    with pytest.raises(ReallocationError):
        move_funds(
            with_reserve,
            source=RESERVE,
            target=str(other.budget_lines[0].id),
            amount_minor=100,
            actor=staff["admin"],
        )
