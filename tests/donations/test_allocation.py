"""The allocation rules, as plain functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ngo.campaigns.models import AllocationRule, OverfundingPolicy
from ngo.donations.allocation import LineState, accepting_gifts, allocate, share_back

PRIORITY, PRO_RATA = AllocationRule.PRIORITY, AllocationRule.PRO_RATA
STOP, STRETCH, GENERAL = (
    OverfundingPolicy.STOP,
    OverfundingPolicy.STRETCH,
    OverfundingPolicy.GENERAL_FUND,
)

# The seed appeal: rent, necessities, food essential; retraining a stretch line.
LINES = [
    LineState(1, 210_000, 0, True, 1),
    LineState(2, 100_000, 0, True, 2),
    LineState(3, 70_000, 0, True, 3),
    LineState(4, 60_000, 0, False, 4),
]


def test_priority_fills_essential_lines_in_order():
    result = allocate(250_000, LINES, rule=PRIORITY, policy=STRETCH)
    assert result.lines == {1: 210_000, 2: 40_000}
    assert result.reserve_minor == result.general_fund_minor == 0


def test_stretch_lines_come_after_every_essential_line():
    result = allocate(400_000, LINES, rule=PRIORITY, policy=STRETCH)
    assert result.lines == {1: 210_000, 2: 100_000, 3: 70_000, 4: 20_000}


def test_pro_rata_shares_by_what_each_line_still_needs():
    lines = [LineState(1, 300, 100, True), LineState(2, 100, 0, True)]  # needs 200 and 100
    assert allocate(90, lines, rule=PRO_RATA, policy=STRETCH).lines == {1: 60, 2: 30}
    # 100 by 2:1 is 66.67 and 33.33: the unit left over goes to the largest fraction.
    assert allocate(100, lines, rule=PRO_RATA, policy=STRETCH).lines == {1: 67, 2: 33}


def test_a_designated_gift_funds_its_line_first_and_the_rest_follows_the_rule():
    result = allocate(80_000, LINES, rule=PRIORITY, policy=STRETCH, designated_line_id=3)
    assert result.lines == {3: 70_000, 1: 10_000}


def test_designating_a_line_of_another_appeal_is_refused():
    with pytest.raises(ValueError):
        allocate(100, LINES, rule=PRIORITY, policy=STRETCH, designated_line_id=99)


def test_over_funding_policies():
    full = [LineState(1, 100, 100, True), LineState(2, 50, 0, False)]
    assert allocate(80, full, rule=PRIORITY, policy=STOP).reserve_minor == 80
    stretch = allocate(80, full, rule=PRIORITY, policy=STRETCH)
    assert (stretch.lines, stretch.reserve_minor) == ({2: 50}, 30)
    general = allocate(80, full, rule=PRIORITY, policy=GENERAL)
    assert (general.lines, general.general_fund_minor) == ({2: 50}, 30)
    assert not accepting_gifts(full, STOP)
    assert accepting_gifts(full, STRETCH)
    everything = [LineState(1, 100, 100, True), LineState(2, 50, 50, False)]
    assert not accepting_gifts(everything, STRETCH)
    assert accepting_gifts(everything, GENERAL)


lines_strategy = st.lists(
    st.tuples(st.integers(1, 10**7), st.integers(0, 10**7), st.booleans(), st.integers(1, 5)),
    min_size=1,
    max_size=6,
).map(lambda rows: [LineState(i + 1, a, f, e, p) for i, (a, f, e, p) in enumerate(rows)])


@given(
    amount=st.integers(0, 10**8),
    lines=lines_strategy,
    rule=st.sampled_from(list(AllocationRule)),
    policy=st.sampled_from(list(OverfundingPolicy)),
)
def test_every_unit_goes_somewhere_and_no_line_is_over_funded(amount, lines, rule, policy):
    result = allocate(amount, lines, rule=rule, policy=policy)
    assert result.total_minor == amount
    assert all(share > 0 for share in result.lines.values())
    for line in lines:
        assert result.lines.get(line.id, 0) <= line.need_minor


@given(
    amount=st.integers(0, 10**6), parts=st.dictionaries(st.text(max_size=3), st.integers(0, 10**6))
)
def test_sharing_back_is_exact_and_never_takes_more_than_a_part(amount, parts):
    total = sum(parts.values())
    if amount > total:
        with pytest.raises(ValueError):
            share_back(amount, parts)
        return
    shares = share_back(amount, parts)
    assert sum(shares.values()) == amount
    assert all(0 < shares[key] <= parts[key] for key in shares)
