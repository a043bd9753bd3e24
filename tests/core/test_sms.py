"""SMS encoding and segments, as networks bill them."""

from decimal import Decimal

from core.money import Money
from core.sms import Encoding, measure, sms_money


def test_gsm7_single_and_concatenated():
    assert measure("a" * 160) == measure("a" * 160)
    assert (measure("a" * 160).encoding, measure("a" * 160).segments) == (Encoding.GSM7, 1)
    assert measure("a" * 161).segments == 2
    assert measure("a" * 306).segments == 2 and measure("a" * 307).segments == 3


def test_the_extension_table_counts_two_septets():
    euro = measure("€" * 80)
    assert (euro.encoding, euro.units, euro.segments) == (Encoding.GSM7, 160, 1)
    assert measure("€" * 81).segments == 2
    assert measure("é à è ù É Ñ").encoding == Encoding.GSM7


def test_one_character_outside_gsm7_makes_it_ucs2():
    for character in ("ç", "ê", "°", "’", "«", "\u00a0"):
        assert measure("Bonjour " + character).encoding == Encoding.UCS2, character
    assert measure("x" * 69 + "ê").segments == 1 and measure("x" * 70 + "ê").segments == 2
    assert measure("😀" * 35).units == 70  # outside the BMP: two UTF-16 units each


def test_cost_is_per_segment():
    assert measure("a" * 200).cost(Decimal("0.045")) == Decimal("0.090")


def test_sms_money_has_plain_spaces():
    assert sms_money(Money(123450, "EUR"), "fr_FR") == "1 234,50 €"
    assert measure(sms_money(Money(999999, "EUR"), "fr_FR")).encoding == Encoding.GSM7
