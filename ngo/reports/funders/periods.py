"""Reporting periods of a funder's subscription: calendar months or calendar quarters, in UTC
dates. Pure functions, so that the schedule can be tested with any dates (year ends, leap
years) without a clock.

A period is reported once it is complete: the report for November is due on 1 December, the
report for the fourth quarter on 1 January. A schedule that was not run over a due date (the
worker or beat down) finds the same periods due when it runs again, because what is due
follows from the first period not yet reported, never from the time of the last run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3}


@dataclass(frozen=True, order=True)
class Period:
    """The days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def due_on(self) -> date:
        """The first day the period is complete, and so reportable."""
        return self.end + timedelta(days=1)

    def key(self, frequency: Frequency) -> str:
        """A stable name for file names and the frozen report: "2026-11" for a month,
        "2026-Q4" for a quarter (also for a quarter reported to date)."""
        if Frequency(frequency) is Frequency.QUARTERLY:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"


def _add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def period_containing(day: date, frequency: Frequency) -> Period:
    """The month or calendar quarter that `day` falls in."""
    months = _MONTHS[Frequency(frequency)]
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    return Period(start, _add_months(start, months) - timedelta(days=1))


def following(period: Period, frequency: Frequency) -> Period:
    return period_containing(period.due_on, frequency)


def due_periods(first_unreported: date, frequency: Frequency, today: date) -> Iterator[Period]:
    """Every complete period from the one containing `first_unreported` up to `today`, oldest
    first: nothing when the current period has not ended yet, several after a long outage."""
    period = period_containing(first_unreported, frequency)
    while period.due_on <= today:
        yield period
        period = following(period, frequency)


def period_to_date(today: date, frequency: Frequency) -> Period:
    """The current period, cut at `today`: what "send now" reports."""
    current = period_containing(today, frequency)
    return Period(current.start, today)
