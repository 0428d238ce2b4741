"""Reporting periods: calendar months and quarters, with year ends and leap years."""

from __future__ import annotations

from datetime import date

import pytest

from ngo.reports.funders.periods import (
    Frequency,
    Period,
    due_periods,
    following,
    period_containing,
    period_to_date,
)

M, Q = Frequency.MONTHLY, Frequency.QUARTERLY


@pytest.mark.parametrize(
    ("day", "frequency", "start", "end"),
    [
        (date(2026, 1, 1), M, date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 14), M, date(2026, 2, 1), date(2026, 2, 28)),
        (date(2028, 2, 29), M, date(2028, 2, 1), date(2028, 2, 29)),
        (date(2026, 12, 31), M, date(2026, 12, 1), date(2026, 12, 31)),
        (date(2026, 1, 1), Q, date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 5, 31), Q, date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 9, 30), Q, date(2026, 7, 1), date(2026, 9, 30)),
        (date(2026, 10, 1), Q, date(2026, 10, 1), date(2026, 12, 31)),
        (date(2026, 12, 31), Q, date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_the_period_holding_a_day(day, frequency, start, end):
    assert period_containing(day, frequency) == Period(start, end)


def test_the_period_after_a_year_end_is_in_the_new_year():
    december = period_containing(date(2026, 12, 5), M)
    assert following(december, M) == Period(date(2027, 1, 1), date(2027, 1, 31))
    fourth_quarter = period_containing(date(2026, 11, 5), Q)
    assert following(fourth_quarter, Q) == Period(date(2027, 1, 1), date(2027, 3, 31))


def test_a_period_is_due_the_day_after_it_ends():
    november = period_containing(date(2026, 11, 15), M)
    assert november.due_on == date(2026, 12, 1)
    assert list(due_periods(date(2026, 11, 1), M, date(2026, 11, 30))) == []
    assert list(due_periods(date(2026, 11, 1), M, date(2026, 12, 1))) == [november]


def test_the_fourth_quarter_is_due_on_new_years_day():
    q4 = Period(date(2026, 10, 1), date(2026, 12, 31))
    assert list(due_periods(date(2026, 10, 1), Q, date(2026, 12, 31))) == []
    assert list(due_periods(date(2026, 10, 1), Q, date(2027, 1, 1))) == [q4]
    assert q4.key(Q) == "2026-Q4"


def test_every_period_missed_over_a_long_outage_is_due_once_oldest_first():
    due = list(due_periods(date(2026, 11, 1), M, date(2027, 2, 10)))
    assert [p.key(M) for p in due] == ["2026-11", "2026-12", "2027-01"]
    quarters = list(due_periods(date(2026, 4, 1), Q, date(2027, 4, 1)))
    assert [p.key(Q) for p in quarters] == ["2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1"]


def test_a_start_in_the_middle_of_a_period_reports_that_whole_period():
    assert list(due_periods(date(2026, 2, 17), Q, date(2026, 4, 1))) == [
        Period(date(2026, 1, 1), date(2026, 3, 31))
    ]


def test_send_now_covers_the_current_period_to_today():
    assert period_to_date(date(2026, 12, 9), M) == Period(date(2026, 12, 1), date(2026, 12, 9))
    assert period_to_date(date(2027, 2, 28), Q) == Period(date(2027, 1, 1), date(2027, 2, 28))
    assert period_to_date(date(2027, 2, 28), Q).key(Q) == "2027-Q1"
