from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ValidationError
from core.money import CurrencyMismatch, Money, total


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("598.94", "EUR", 59894),
        ("1000", "JPY", 1000),
        ("1.234", "KWD", 1234),
        ("0.5", "eur", 50),
        ("  12 ", "USD", 1200),
        ("-3.10", "EUR", -310),
    ],
)
def test_parses_the_decimal_strings_platforms_send(text, currency, minor):
    amount = Money.parse(text, currency)
    assert amount.minor == minor
    assert amount.currency == currency.strip().upper()


@pytest.mark.parametrize(
    ("text", "currency", "reason"),
    [
        ("10.005", "EUR", "more than 2 decimals"),
        ("12.5", "JPY", "more than 0 decimals"),
        ("abc", "EUR", "not a decimal"),
        ("NaN", "EUR", "not a finite"),
        ("", "EUR", "not a decimal"),
        ("1", "XYZ", "unknown currency"),
        ("1", "", "unknown currency"),
    ],
)
def test_refuses_what_would_lose_or_invent_money(text, currency, reason):
    with pytest.raises(ValidationError, match=reason):
        Money.parse(text, currency)


def test_refuses_floats_and_non_integer_minor_units():
    with pytest.raises(ValidationError):
        Money.parse(0.1, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Money(10.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Money(True, "EUR")  # type: ignore[arg-type]


def test_converts_back_to_the_strings_providers_expect():
    assert Money(7550, "EUR").to_major_string() == "75.50"
    assert Money(1234, "JPY").to_major_string() == "1234"
    assert Money(1234, "KWD").to_major_string() == "1.234"
    assert Money(5, "EUR").to_decimal() == Decimal("0.05")


def test_formats_for_the_locale_with_cldr_spacing():
    assert Money(7550, "EUR").format("fr_FR") == "75,50\u00a0€"
    assert Money(7550, "EUR").format("en_GB") == "€75.50"
    assert Money(123456, "EUR").format("fr_FR") == "1\u202f234,56\u00a0€"


def test_formats_every_stored_decimal_even_where_cldr_shows_fewer():
    assert Money(123456, "HUF").format("fr_FR") == "1\u202f234,56\u00a0HUF"
    assert Money(1234, "JPY").format("en_GB") == "JP¥1,234"
    assert Money(1234, "KWD").format("en_GB") == "KWD1.234"


def test_arithmetic_across_currencies_is_an_error():
    with pytest.raises(CurrencyMismatch):
        Money(100, "EUR") + Money(100, "USD")
    with pytest.raises(CurrencyMismatch):
        Money(100, "EUR") < Money(100, "USD")  # noqa: B015
    assert Money(100, "EUR") + Money(250, "EUR") == Money(350, "EUR")
    assert Money(100, "EUR") * 3 == Money(300, "EUR")
    assert total([], "EUR") == Money(0, "EUR")


def test_allocation_puts_the_extra_cents_first():
    parts = Money(10000, "EUR").allocate(3)
    assert [p.minor for p in parts] == [3334, 3333, 3333]
    assert [p.minor for p in Money(5, "EUR").allocate([1, 1, 1])] == [2, 2, 1]
    assert [p.minor for p in Money(-100, "EUR").allocate(3)] == [-34, -33, -33]
    assert [p.minor for p in Money(100, "EUR").allocate([1, 0, 3])] == [25, 0, 75]


def test_allocation_refuses_impossible_ratios():
    for ratios in ([], [0, 0], [1, -1]):
        with pytest.raises(ValidationError):
            Money(100, "EUR").allocate(ratios)


@given(
    minor=st.integers(min_value=-(10**12), max_value=10**12),
    ratios=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=24).filter(any),
)
def test_allocation_always_sums_to_the_total_and_stays_within_one_unit(minor, ratios):
    parts = Money(minor, "EUR").allocate(ratios)
    assert sum(p.minor for p in parts) == minor
    weight = sum(ratios)
    for part, ratio in zip(parts, ratios, strict=True):
        exact = Decimal(minor) * ratio / weight
        assert abs(Decimal(part.minor) - exact) < 1
        assert part.currency == "EUR"


@given(
    minor=st.integers(min_value=0, max_value=10**12), count=st.integers(min_value=1, max_value=48)
)
def test_instalments_are_equal_to_one_unit_and_never_increase(minor, count):
    parts = [p.minor for p in Money(minor, "JPY").allocate(count)]
    assert sum(parts) == minor
    assert max(parts) - min(parts) <= 1
    assert parts == sorted(parts, reverse=True)
