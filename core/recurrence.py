"""When a recurring invoice's periods fall: period n is the start date moved n weeks, months or
years on (dateutil's relativedelta, so a schedule started on 31 January falls on 28 or 29
February, then 31 March: the day of the start, or the month's last day when it has none). A
schedule ends after a number of invoices or on a date, whichever comes first."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from core.errors import ValidationError

#: How far ahead a schedule may start, and how many periods it may count.
MAX_START_DAYS = 366
MAX_PERIODS = 1000


class Frequency(enum.StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    YEARLY = "yearly"


_STEP = {
    Frequency.WEEKLY: lambda n: relativedelta(weeks=n),
    Frequency.MONTHLY: lambda n: relativedelta(months=n),
    Frequency.YEARLY: lambda n: relativedelta(years=n),
}


@dataclass(frozen=True, slots=True)
class Recurrence:
    frequency: Frequency
    start_on: date
    end_after: int | None = None  # invoices in all
    end_on: date | None = None  # no period on a later day

    def __post_init__(self) -> None:
        if self.end_after is not None and not 1 <= self.end_after <= MAX_PERIODS:
            raise ValidationError(
                f"a schedule ends after 1 to {MAX_PERIODS} invoices",
                key="recurrence_count",
                most=MAX_PERIODS,
            )
        if self.end_on is not None and self.end_on < self.start_on:
            raise ValidationError("a schedule ends on or after its start", key="recurrence_end")

    def period_on(self, index: int) -> date:
        """The day of period `index` (0: the start)."""
        moved: date = self.start_on + _STEP[self.frequency](index)
        return moved

    def has_period(self, index: int) -> bool:
        if index < 0 or (self.end_after is not None and index >= self.end_after):
            return False
        return self.end_on is None or self.period_on(index) <= self.end_on

    def due_periods(self, issued: int, today: date) -> list[int]:
        """The periods not issued yet whose day has come (several after a long outage)."""
        due = []
        index = issued
        while self.has_period(index) and self.period_on(index) <= today:
            due.append(index)
            index += 1
        return due

    def next_on(self, issued: int) -> date | None:
        """The day of the next period to issue, or None once the schedule is over."""
        return self.period_on(issued) if self.has_period(issued) else None
