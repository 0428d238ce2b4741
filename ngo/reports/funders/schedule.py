"""The beat schedule of funders' reports: which subscriptions are due, and one delivery per due
period, however often and however late the schedule runs.

Each due period is claimed in a transaction of its own by moving the subscription's
`next_period_start` on with a compare-and-set (UPDATE ... WHERE next_period_start = the value
read): of two beat runs at once, one moves it and writes the delivery, its report and the
report's outbox row (ngo.reports.runner), the other updates nothing and writes nothing. The
unique (subscription, scheduled period) of the deliveries holds the same line if anything else
ever writes them. A run missed over a due date (the worker or beat down) leaves
`next_period_start` where it was, so the next run finds the period due and reports it then:
once, not twice, not never."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from ngo import audit
from ngo.accounts.models import User
from ngo.cases.models import ConsentAudience
from ngo.extensions import db
from ngo.reports import runner
from ngo.reports.funders.models import PortfolioDelivery, ReportSubscription
from ngo.reports.funders.periods import Frequency, Period, due_periods, following, period_to_date
from ngo.reports.models import Report, ReportKind
from ngo.timeutil import utcnow
from ngo.unit_of_work import transaction


def due_now(today: date) -> list[tuple[int, Period]]:
    """(subscription id, period) for every complete, unreported period of the active
    subscriptions, oldest first. Reads only."""
    rows = db.session.execute(
        select(
            ReportSubscription.id,
            ReportSubscription.next_period_start,
            ReportSubscription.frequency,
        )
        .where(ReportSubscription.active.is_(True), ReportSubscription.next_period_start <= today)
        .order_by(ReportSubscription.id)
    )
    return [
        (subscription_id, period)
        for subscription_id, start, frequency in rows
        for period in due_periods(start, Frequency(frequency), today)
    ]


def claim_period(subscription_id: int, period: Period) -> PortfolioDelivery | None:
    """The delivery of `period`, if this run is the one that moved the subscription past it.
    Flushes; the caller commits (schedule_due_reports one claim per transaction)."""
    subscription = db.session.get(ReportSubscription, subscription_id)
    if subscription is None:
        return None
    frequency = Frequency(subscription.frequency)
    moved = db.session.execute(
        update(ReportSubscription)
        .where(
            ReportSubscription.id == subscription_id,
            ReportSubscription.active.is_(True),
            ReportSubscription.next_period_start == period.start,
        )
        .values(next_period_start=following(period, frequency).start)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], moved).rowcount != 1:
        return None  # another run claimed it, or the subscription changed meanwhile
    return _new_delivery(subscription, period, scheduled=True)


def _new_delivery(
    subscription: ReportSubscription,
    period: Period,
    *,
    scheduled: bool,
    requested_by: User | None = None,
) -> PortfolioDelivery:
    """The delivery and its report, queued for the worker's report runner
    (ngo.reports.runner), which renders it with delivery.render_portfolio_report."""
    report = runner.queue_report(
        Report(
            organisation_id=subscription.organisation_id,
            kind=ReportKind.PORTFOLIO.value,
            audience=ConsentAudience.FUNDER_REPORTS.value,
            funder_id=subscription.funder_id,
            period_start=period.start,
            period_end=period.end,
        ),
        actor=requested_by,
    )
    delivery = PortfolioDelivery(
        organisation_id=subscription.organisation_id,
        funder_id=subscription.funder_id,
        subscription_id=subscription.id,
        period_key=period.key(Frequency(subscription.frequency)),
        period_start=period.start,
        period_end=period.end,
        scheduled_start=period.start if scheduled else None,
        requested_by_id=requested_by.id if requested_by is not None else None,
        report_id=report.id,
    )
    db.session.add(delivery)
    db.session.flush()
    return delivery


def schedule_due_reports(today: date | None = None) -> int:
    """Claim every due period (see the module's docstring); returns how many this run claimed.
    Each claim commits on its own, so one subscription's failure does not hold the others."""
    today = today or utcnow().date()
    with transaction():
        due = due_now(today)
    claimed = 0
    for subscription_id, period in due:
        with transaction():
            claimed += claim_period(subscription_id, period) is not None
    return claimed


def send_now(subscription: ReportSubscription, *, actor: User) -> PortfolioDelivery:
    """A report of the current period to date, outside the schedule (which it does not move):
    the admin's "send now". Flushes; the request commits."""
    period = period_to_date(utcnow().date(), Frequency(subscription.frequency))
    delivery = _new_delivery(subscription, period, scheduled=False, requested_by=actor)
    audit.record_change(
        subscription, actor, "report_subscription.sent_now", delivery_id=delivery.id
    )
    return delivery
