"""The minor-unit table is ISO 4217's, whatever Babel's CLDR says this year."""

from iso4217 import Currency, __published__

from core.currencies import ISO_4217_PUBLISHED, MINOR_UNIT_EXPONENTS


def test_the_table_is_iso_4217_list_one_as_published():
    """The `iso4217` test dependency is pinned to the list the table was taken from; a newer
    list is a deliberate change of the table and of this pin, never an unannounced one."""
    assert __published__.isoformat() == ISO_4217_PUBLISHED
    expected = {c.code: c.exponent for c in Currency if c.exponent is not None}
    assert dict(MINOR_UNIT_EXPONENTS) == expected


def test_currencies_whose_cldr_decimals_differ_keep_iso_s():
    assert MINOR_UNIT_EXPONENTS["HUF"] == 2
    assert MINOR_UNIT_EXPONENTS["TWD"] == 2
    assert MINOR_UNIT_EXPONENTS["JPY"] == 0
    assert MINOR_UNIT_EXPONENTS["KWD"] == 3
    assert MINOR_UNIT_EXPONENTS["CLF"] == 4
