"""The schedule against real services: two beat runs at once on PostgreSQL claim a due period
once, and a beat that was down over a funder's due date gets one report to the funder through
a real Celery worker and SMTP server when it returns (the fault of the worker issue)."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from ngo.extensions import db
from ngo.reports.funders import schedule
from ngo.reports.funders.models import PortfolioDelivery, ReportSubscription
from ngo.reports.funders.periods import Frequency, period_containing
from ngo.reports.funders.tasks import schedule_funder_reports_task
from ngo.reports.models import Report
from ngo.timeutil import utcnow
from tests.test_worker_integration import celery_worker, smtp

__all__ = ["celery_worker", "smtp"]  # the real worker's fixtures, used by name
pytestmark = pytest.mark.integration


@pytest.fixture
def app_config() -> dict[str, object]:
    # The worker process does the work; this process only hands tasks to the broker.
    return {"CELERY_TASK_ALWAYS_EAGER": False}


def _last_month_start() -> date:
    """The first day of the month before this one: that month is due today, and only it."""
    this_month = period_containing(utcnow().date(), Frequency.MONTHLY)
    return period_containing(this_month.start - timedelta(days=1), Frequency.MONTHLY).start


def _overdue_subscription(subscription: ReportSubscription) -> ReportSubscription:
    """As if beat had been down since before last month ended: its report was never made."""
    subscription.next_period_start = _last_month_start()
    db.session.commit()
    return subscription


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.committed
def test_two_beat_runs_at_once_claim_the_due_period_once(app, subscription):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers are PostgreSQL's (SQLite takes one writer at a time)")
    _overdue_subscription(subscription)
    app.config["CELERY_BROKER_URL"] = "memory://"  # nothing here runs the reports
    both_read = threading.Barrier(2)
    claimed: list[int] = []
    errors: list[BaseException] = []
    real_due_now = schedule.due_now

    def due_now_then_wait(today: date):
        due = real_due_now(today)
        both_read.wait(timeout=20)  # both runs have read the period as due
        return due

    def run() -> None:
        try:
            with app.app_context():
                claimed.append(schedule.schedule_due_reports())
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    schedule.due_now = due_now_then_wait  # type: ignore[assignment]
    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        schedule.due_now = real_due_now  # type: ignore[assignment]
    assert not errors, errors
    assert sorted(claimed) == [0, 1]
    assert _count(PortfolioDelivery) == 1


@pytest.mark.committed
def test_a_beat_down_over_the_due_date_sends_one_report_when_it_returns(
    app, celery_worker, smtp, subscription, contact_user
):
    inbox, _port = smtp
    _overdue_subscription(subscription)
    # Beat comes back; the hourly run and a second one (another beat, a catch-up) both fire.
    schedule_funder_reports_task.delay()
    schedule_funder_reports_task.delay()
    message = inbox.wait_for(contact_user.email, timeout=120)
    assert message["Subject"].startswith("Organisation")
    deadline = time.monotonic() + 30
    while _count(Report) < 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)  # long enough for a second report or mail, if one were coming
    assert _count(PortfolioDelivery) == 1
    assert _count(Report) == 1
    assert [m["To"] for m in inbox.messages].count(contact_user.email) == 1
    delivery = db.session.scalars(select(PortfolioDelivery)).one()
    assert delivery.period_start == _last_month_start()
    assert delivery.mailed_at is not None
    assert db.session.get(ReportSubscription, subscription.id).next_period_start == (
        period_containing(utcnow().date(), Frequency.MONTHLY).start
    )
