"""Recurring periods: month ends, leap years, and the two ways a schedule ends."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ValidationError
from core.recurrence import Frequency, Recurrence


def test_a_monthly_schedule_keeps_its_day_or_the_month_s_last():
    schedule = Recurrence(Frequency.MONTHLY, date(2027, 1, 31))
    assert [schedule.period_on(n) for n in range(4)] == [
        date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30),
    ]  # fmt: skip
    leap = Recurrence(Frequency.YEARLY, date(2028, 2, 29))
    assert leap.period_on(1) == date(2029, 2, 28) and leap.period_on(4) == date(2032, 2, 29)


def test_a_schedule_ends_after_a_count_or_on_a_date():
    by_count = Recurrence(Frequency.WEEKLY, date(2026, 12, 1), end_after=3)
    assert by_count.due_periods(0, date(2027, 6, 1)) == [0, 1, 2]
    assert by_count.next_on(3) is None
    by_date = Recurrence(Frequency.MONTHLY, date(2026, 12, 15), end_on=date(2027, 2, 20))
    assert by_date.due_periods(0, date(2030, 1, 1)) == [0, 1, 2]
    assert by_date.next_on(1) == date(2027, 1, 15)
    with pytest.raises(ValidationError):
        Recurrence(Frequency.MONTHLY, date(2026, 12, 15), end_on=date(2026, 12, 1))
    with pytest.raises(ValidationError):
        Recurrence(Frequency.MONTHLY, date(2026, 12, 15), end_after=0)


@given(
    frequency=st.sampled_from(list(Frequency)),
    start=st.dates(date(2026, 1, 1), date(2030, 12, 31)),
    issued=st.integers(0, 30),
    days=st.integers(0, 800),
)
def test_due_periods_are_the_next_ones_in_order_and_never_in_the_future(
    frequency, start, issued, days
):
    schedule = Recurrence(frequency, start)
    today = start + timedelta(days=days)
    due = schedule.due_periods(issued, today)
    assert due == list(range(issued, issued + len(due)))
    assert all(schedule.period_on(n) <= today for n in due)
    assert schedule.period_on(issued + len(due)) > today
    assert [schedule.period_on(n) for n in due] == sorted(schedule.period_on(n) for n in due)
