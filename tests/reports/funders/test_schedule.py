"""The beat schedule: the right subscriptions and periods are due, each due period gets one
report however many runs overlap or were missed, and paused subscriptions get none."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ngo.extensions import db
from ngo.reports.funders import schedule, services
from ngo.reports.funders.models import PortfolioDelivery, ReportSubscription
from ngo.reports.funders.periods import Period
from ngo.reports.models import Report
from tests.conftest import sent_mail


def _deliveries() -> list[tuple[str, date | None]]:
    return [
        (d.period_key, d.scheduled_start)
        for d in db.session.scalars(select(PortfolioDelivery).order_by(PortfolioDelivery.id))
    ]


def test_nothing_is_due_before_the_period_ends(subscription):
    assert schedule.due_now(date(2026, 11, 30)) == []
    assert schedule.schedule_due_reports(date(2026, 11, 30)) == 0
    assert _deliveries() == []


def test_the_period_is_reported_once_on_its_due_day(app, subscription, contact_user):
    november = Period(date(2026, 11, 1), date(2026, 11, 30))
    assert schedule.due_now(date(2026, 12, 1)) == [(subscription.id, november)]
    assert schedule.schedule_due_reports(date(2026, 12, 1)) == 1
    # The hourly beat runs again the same day, and the next: nothing more.
    assert schedule.schedule_due_reports(date(2026, 12, 1)) == 0
    assert schedule.schedule_due_reports(date(2026, 12, 2)) == 0
    assert _deliveries() == [("2026-11", date(2026, 11, 1))]
    db.session.expire_all()
    stored = db.session.get(ReportSubscription, subscription.id)
    assert stored.next_period_start == date(2026, 12, 1)
    assert stored.last_period_sent == "2026-11"
    (report,) = db.session.scalars(select(Report)).all()
    assert (report.kind, report.funder_id, report.status) == (
        "portfolio",
        subscription.funder_id,
        "done",
    )
    assert [m["To"] for m in sent_mail(app)] == [contact_user.email]


def test_a_beat_down_over_the_due_dates_catches_up_once_when_it_returns(app, subscription):
    # Beat was down from late November until 3 February: three months are due, once each.
    assert schedule.schedule_due_reports(date(2027, 2, 3)) == 3
    assert schedule.schedule_due_reports(date(2027, 2, 3)) == 0
    assert [key for key, _ in _deliveries()] == ["2026-11", "2026-12", "2027-01"]
    assert db.session.scalar(select(func.count()).select_from(Report)) == 3
    assert len(sent_mail(app)) == 3


def test_two_runs_that_read_the_same_due_period_make_one_delivery(subscription):
    """Two beat processes at once: both read the period as due, only the first claim wins."""
    november = Period(date(2026, 11, 1), date(2026, 11, 30))
    first_read = schedule.due_now(date(2026, 12, 1))
    second_read = schedule.due_now(date(2026, 12, 1))
    assert first_read == second_read == [(subscription.id, november)]
    assert schedule.claim_period(subscription.id, november) is not None
    assert schedule.claim_period(subscription.id, november) is None
    assert len(_deliveries()) == 1


def test_the_database_refuses_a_second_delivery_of_a_scheduled_period(subscription):
    november = Period(date(2026, 11, 1), date(2026, 11, 30))
    schedule._new_delivery(subscription, november, scheduled=True)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        schedule._new_delivery(subscription, november, scheduled=True)


def test_a_paused_subscription_is_not_due_and_resumes_from_the_current_period(
    subscription, funder, staff
):
    services.update_subscription(
        subscription,
        services.SubscriptionDetails(
            frequency="monthly",
            language="en",
            recipient_ids=[c.id for c in subscription.recipients],
            active=False,
        ),
        actor=staff["admin"],
    )
    assert schedule.due_now(date(2027, 3, 1)) == []
    assert schedule.schedule_due_reports(date(2027, 3, 1)) == 0


def test_only_due_subscriptions_of_every_organisation_are_listed(subscription, funder, staff):
    quarterly = services.create_subscription(
        funder,
        services.SubscriptionDetails(
            frequency="quarterly", language="pl", recipient_ids=[funder.contacts[0].id]
        ),
        actor=staff["admin"],
        today=date(2026, 11, 14),
    )
    assert schedule.due_now(date(2026, 12, 1)) == [
        (subscription.id, Period(date(2026, 11, 1), date(2026, 11, 30)))
    ]
    assert schedule.due_now(date(2027, 1, 1)) == [
        (subscription.id, Period(date(2026, 11, 1), date(2026, 11, 30))),
        (subscription.id, Period(date(2026, 12, 1), date(2026, 12, 31))),
        (quarterly.id, Period(date(2026, 10, 1), date(2026, 12, 31))),
    ]
