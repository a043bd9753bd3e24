"""The dashboard's arithmetic against values worked out by hand."""

from datetime import date

import pytest

from core.kpis import DayFigures, Period, change, kpis


def test_a_period_adds_its_days_and_merges_their_delays():
    days = [
        DayFigures(date(2026, 11, 1), sent=10, viewed=8, started=6, paid=4, due=5, late=1,
                   collected=40_000, delay_hours={1: 2, 30: 2}, paid_after_step={"invoice": 4}),
        DayFigures(date(2026, 11, 2), sent=10, viewed=2, started=1, paid=1, due=5, late=4,
                   collected=10_000, sms_cost_micros=500_000, delay_hours={100: 1},
                   paid_after_step={"reminder-1": 1}),
    ]  # fmt: skip
    result = kpis(days)
    assert (result.sent, result.paid, result.conversion, result.open_rate) == (20, 5, 0.25, 0.5)
    assert result.unpaid_rate == 0.5
    assert result.median_delay_hours == 30  # 1, 1, 30, 30, 100
    assert result.mean_delay_hours == pytest.approx((1 + 1 + 30 + 30 + 100) / 5)
    assert result.collected == 50_000
    assert result.cost_per_collected == pytest.approx(0.5 / 500)
    assert result.paid_after_step == {"invoice": 4, "reminder-1": 1}


def test_no_figure_rather_than_a_division_by_zero():
    empty = kpis([])
    assert (empty.conversion, empty.median_delay_hours, empty.cost_per_collected) == (None,) * 3


def test_changes_and_previous_periods():
    assert change(150, 100) == 0.5 and change(1, 0) is None and change(None, 3) is None
    period = Period(date(2026, 11, 1), date(2026, 11, 30))
    assert period.previous() == Period(date(2026, 10, 2), date(2026, 10, 31))
    assert date(2026, 11, 30) in period and date(2026, 12, 1) not in period
