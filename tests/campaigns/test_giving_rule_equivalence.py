"""`accepting_gifts` asks the same as "the open need of the policy's tiers is positive"."""

from hypothesis import given
from hypothesis import strategies as st

from ngo.campaigns.giving import LineState, accepting_gifts, open_need_minor
from ngo.campaigns.models import OverfundingPolicy

lines = st.lists(
    st.builds(
        LineState,
        id=st.integers(1, 50),
        amount_minor=st.integers(0, 10_000),
        funded_minor=st.integers(0, 12_000),
        essential=st.booleans(),
        priority=st.integers(1, 5),
    ),
    max_size=8,
)


@given(lines, st.sampled_from(list(OverfundingPolicy)))
def test_accepting_gifts_is_a_positive_open_need(states, policy):
    expected = policy is OverfundingPolicy.GENERAL_FUND or open_need_minor(states, policy) > 0
    assert accepting_gifts(states, policy) is expected
