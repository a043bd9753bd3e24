"""The dashboard's arithmetic against values worked out by hand."""

from datetime import date

import pytest

from core.kpis import DayFigures, Period, Spend, acquisition_cost, change, kpis, spend_in


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


def test_a_month_s_spend_is_spread_over_its_days():
    november, december = date(2026, 11, 1), date(2026, 12, 1)
    entries = [
        Spend(november, "Instagram", 30_000),  # 1,000 a day over 30 days
        Spend(december, "Instagram", 31_000),  # 1,000 a day over 31 days
        Spend(november, "Newsletter", 100),
    ]
    week = Period(date(2026, 11, 28), date(2026, 12, 4))  # 3 days of one, 4 of the other
    assert spend_in(entries, week) == {"Instagram": 7_000, "Newsletter": 10}
    assert spend_in(entries, Period(date(2026, 11, 1), date(2026, 11, 30)))["Instagram"] == 30_000
    assert spend_in(entries, Period(date(2027, 1, 1), date(2027, 1, 31))) == {}
    february = [Spend(date(2028, 2, 1), "Ads", 2_900)]  # a leap year: 29 days
    assert spend_in(february, Period(date(2028, 2, 29), date(2028, 3, 1))) == {"Ads": 100}


def test_acquisition_cost_is_spend_per_new_paying_customer():
    assert acquisition_cost(150_000, 4) == 37_500
    assert acquisition_cost(150_000, 0) is None
    assert (
        kpis(
            [
                DayFigures(date(2026, 11, 2), new_payers=2),
                DayFigures(date(2026, 11, 3), new_payers=1),
            ]
        ).new_payers
        == 3
    )


def test_message_costs_in_euros_are_set_against_euros_only():
    """The SMS price is in euros: against francs collected it would be a wrong figure, not a
    figure in another unit."""
    day = DayFigures(date(2026, 11, 2), collected=50_000, sms_cost_micros=500_000)
    assert kpis([day], "EUR").cost_per_collected == pytest.approx(0.5 / 500)
    assert kpis([day], "CHF").cost_per_collected is None
    assert kpis([day], "CHF").sms_cost_micros == 500_000  # the cost itself is still shown
