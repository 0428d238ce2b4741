"""The cases domain announces changes to a case through ngo.signals, whoever makes them."""

from __future__ import annotations

from datetime import date

import pytest

from ngo import signals
from ngo.cases import consent
from ngo.cases import services as cases
from ngo.cases.models import ConsentAudience, ConsentItem
from ngo.extensions import db
from tests import factories


@pytest.fixture
def heard(app):
    """Every announcement, as (signal name, keyword arguments), while the test runs."""
    received: list[tuple[str, dict[str, frozenset[int]]]] = []
    receivers = []
    for signal in signals.ALL:

        def receiver(_sender, _name=signal.name, **kwargs):
            received.append((_name, kwargs))

        receivers.append(receiver)
        signal.connect(receiver)
    yield received
    for signal, receiver in zip(signals.ALL, receivers, strict=True):
        signal.disconnect(receiver)


@pytest.fixture
def case(organisation):
    case = factories.BeneficiaryFactory(organisation=organisation)
    db.session.commit()
    return case


def _record(case, actor):
    return factories.ConsentFactory(
        beneficiary=case,
        actor=actor,
        items=[ConsentItem.STORY],
        audiences=[ConsentAudience.PUBLIC_PAGE],
        given_on=date.today(),
    )


def test_a_recorded_and_a_withdrawn_consent_are_announced(case, make_user, heard):
    caseworker = make_user("caseworker")
    (row,) = _record(case, caseworker)
    db.session.flush()
    assert ("consent-given", {"beneficiary_ids": frozenset({case.id})}) in heard
    heard.clear()
    consent.withdraw_consent(row, actor=caseworker)
    db.session.flush()
    assert ("consent-withdrawn", {"beneficiary_ids": frozenset({case.id})}) in heard


def test_a_changed_record_or_household_is_announced(case, make_user, heard):
    caseworker = make_user("caseworker")
    case.phone = "+48 600 111 222"
    db.session.flush()
    assert heard == [("private-values-changed", {"beneficiary_ids": frozenset({case.id})})]
    heard.clear()
    cases.add_household_member(
        case, relationship="son", first_name="Wojciech", age=9, actor=caseworker
    )
    db.session.flush()
    assert ("private-values-changed", {"beneficiary_ids": frozenset({case.id})}) in heard


def test_a_rolled_back_change_announces_nothing_more(case, heard):
    # Receivers act in the same transaction (campaigns forgets its pending work on rollback);
    # a flush that never happens announces nothing.
    case.phone = "+48 600 111 222"
    db.session.rollback()
    assert heard == []


def test_a_new_story_version_is_announced(case, make_user, heard):
    from ngo.cases import stories

    caseworker = make_user("caseworker")
    heard.clear()
    version = stories.start_story(case, title="A family", body="They left.", actor=caseworker)
    db.session.flush()
    announced = [kw for name, kw in heard if name == "story-verification-changed"]
    # The story's row and its first version may reach the database in one flush or two.
    assert frozenset().union(*(kw["beneficiary_ids"] for kw in announced)) == {case.id}
    assert frozenset().union(*(kw["story_ids"] for kw in announced)) == {version.story_id}
    assert all(kw["story_version_ids"] == frozenset() for kw in announced)
