"""Instalment schedules: exact parts, extra cents first, a part every interval from today."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ValidationError
from core.instalments import InstalmentTerms, instalment_schedule
from core.money import Money

TODAY = date(2026, 11, 25)


def test_three_parts_thirty_days_apart_with_the_extra_cent_today():
    plan = instalment_schedule(Money(7550, "EUR"), InstalmentTerms(3), TODAY)
    assert [(p.due_on.isoformat(), p.amount.minor) for p in plan] == [
        ("2026-11-25", 2517),
        ("2026-12-25", 2517),
        ("2027-01-24", 2516),
    ]


def test_below_the_minimum_or_too_small_to_split_there_is_no_plan():
    assert instalment_schedule(Money(4999, "EUR"), InstalmentTerms(3, minimum=5000), TODAY) == []
    assert instalment_schedule(Money(2, "EUR"), InstalmentTerms(3), TODAY) == []
    assert (
        len(instalment_schedule(Money(5000, "EUR"), InstalmentTerms(3, minimum=5000), TODAY)) == 3
    )


def test_terms_from_settings():
    assert InstalmentTerms.from_settings({}) is None
    assert InstalmentTerms.from_settings({"instalments": 0}) is None
    terms = InstalmentTerms.from_settings(
        {"instalments": "4", "instalment_interval_days": 14, "instalment_minimum": 10000}
    )
    assert terms == InstalmentTerms(4, 14, 10000)
    for bad in (
        {"instalments": 1},
        {"instalments": 3, "instalment_interval_days": 0},
        {"instalments": "x"},
    ):
        with pytest.raises(ValidationError, match="instalment"):
            InstalmentTerms.from_settings(bad)


@given(
    total=st.integers(min_value=2, max_value=10**9),
    count=st.integers(min_value=2, max_value=12),
    interval=st.integers(min_value=1, max_value=92),
)
def test_parts_sum_exactly_never_zero_first_is_largest(total, count, interval):
    plan = instalment_schedule(Money(total, "EUR"), InstalmentTerms(count, interval), TODAY)
    if total < count:
        assert plan == []
        return
    amounts = [p.amount.minor for p in plan]
    assert sum(amounts) == total and min(amounts) > 0
    assert amounts[0] == max(amounts) and max(amounts) - min(amounts) <= 1
    assert [(p.due_on - TODAY).days for p in plan] == [i * interval for i in range(count)]
