"""Numbers, money, rates and dates as the console's language writes them (Babel), one set of
formats for every console page that shows figures (the dashboard, the A/B tests)."""

from __future__ import annotations

from datetime import date

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from core.kpis import change
from core.money import Money
from core.sms import PRICE_CURRENCY
from core.web.console.pages import language


def babel_locale() -> str:
    return "fr_FR" if language() == "fr" else "en_GB"


class Formats:
    """Numbers, money, rates and changes as the user's language writes them."""

    def __init__(self, currency: str) -> None:
        self.locale, self.currency = babel_locale(), currency

    def money(self, minor: int) -> str:
        return Money(minor, self.currency).format(self.locale)

    def rate(self, value: float | None, decimals: int = 1) -> str:
        """A percentage; a small part of a whole (messages' cost against the money collected:
        a few tenths of a percent) asks for 2 decimals."""
        if value is None:
            return "—"
        return format_percent(value, self._percent(decimals), locale=self.locale)

    def number(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "#" * digits if digits else "")
        return format_decimal(value, pattern, locale=self.locale)

    def change(self, current: float | int | None, previous: float | int | None) -> str:
        delta = change(current, previous)
        if delta is None:
            return ""
        percent = self._percent(0)
        return format_percent(delta, f"+{percent};-{percent}", locale=self.locale)

    def _percent(self, decimals: int) -> str:
        """The language's own percent pattern (a space before the sign in French: "12,5 %")
        with up to `decimals` decimals."""
        pattern: str = Locale.parse(self.locale).percent_formats[None].pattern
        return pattern.replace("0", "0." + "#" * decimals, 1) if decimals else pattern

    def cost(self, micros: int) -> str:
        return format_currency(micros / 1_000_000, PRICE_CURRENCY, locale=self.locale)

    def day(self, value: date) -> str:
        return str(format_date(value, "d MMM", locale=self.locale))
