"""Money as integer minor units of an ISO 4217 currency.

Floats never hold an amount: platforms send decimal strings ("598.94"), providers want either minor
units (Stripe) or decimal strings (PayPal), and both conversions happen here, exactly. Currency
exponents (JPY 0, EUR 2, KWD 3) are ISO 4217's, kept as our own data in `core.currencies`; Babel
only formats, and always with our exponent, so an amount never displays rounded.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel import Locale

from core.currencies import MINOR_UNIT_EXPONENTS
from core.errors import ValidationError


class CurrencyMismatch(ValidationError):
    """Arithmetic or comparison between two currencies: there is no implicit exchange rate."""


def currency_code(value: str) -> str:
    """Return the ISO 4217 code in upper case, or raise ValidationError for an unknown one."""
    code = (value or "").strip().upper()
    if code not in MINOR_UNIT_EXPONENTS:
        raise ValidationError(f"unknown currency {value!r}: expected an ISO 4217 code like EUR")
    return code


def minor_unit_exponent(currency: str) -> int:
    """Number of decimals of the currency's minor unit (JPY 0, EUR 2, KWD 3)."""
    return MINOR_UNIT_EXPONENTS[currency_code(currency)]


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount: `minor` units (cents, yen, fils) of `currency`."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise ValidationError(
                f"an amount in minor units must be an integer, not {self.minor!r}"
            )
        code = currency_code(self.currency)
        if code != self.currency:
            object.__setattr__(self, "currency", code)

    # Construction -------------------------------------------------------------------------

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Parse a major-unit decimal string as platforms send it ("598.94", "1000", "0.5").

        More decimals than the currency has is an error rather than a silent rounding: "10.005"
        EUR would otherwise lose or invent half a cent.
        """
        code = currency_code(currency)
        if isinstance(amount, float):
            raise ValidationError("amounts are decimal strings, never floats")
        try:
            value = Decimal(str(amount).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError(
                f"{amount!r} is not a decimal amount", key="amount_syntax", amount=amount
            ) from None
        if not value.is_finite():
            raise ValidationError(
                f"{amount!r} is not a finite amount", key="amount_syntax", amount=amount
            )
        exponent = minor_unit_exponent(code)
        scaled = value.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            raise ValidationError(
                f"{amount!r} has more than {exponent} decimals for {code}",
                key="amount_decimals",
                amount=amount,
                decimals=exponent,
                currency=code,
            )
        return cls(int(scaled), code)

    # Conversion ---------------------------------------------------------------------------

    @property
    def exponent(self) -> int:
        return minor_unit_exponent(self.currency)

    def to_decimal(self) -> Decimal:
        """The amount in major units, exactly (7550 EUR -> Decimal("75.50"))."""
        return Decimal(self.minor).scaleb(-self.exponent)

    def to_major_string(self) -> str:
        """Plain decimal string in major units ("75.50", "1234" for JPY), as APIs expect it."""
        return f"{self.to_decimal():.{self.exponent}f}"

    def format(self, locale: str) -> str:
        """Localised display ("75,50\u00a0€" in fr_FR, "€75.50" in en_US), via CLDR, showing
        exactly our exponent's decimals (CLDR's own may differ: HUF 0 where ISO says 2)."""
        parsed = Locale.parse(locale)
        pattern = copy.copy(parsed.currency_formats["standard"])  # CLDR's own is shared
        pattern.frac_prec = (self.exponent, self.exponent)
        return pattern.apply(
            self.to_decimal(), parsed, currency=self.currency, currency_digits=False
        )

    # Arithmetic ---------------------------------------------------------------------------

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same_currency(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same_currency(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError("Money multiplies by whole numbers only; use allocate() to divide")
        return Money(self.minor * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same_currency(other).minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same_currency(other).minor

    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same_currency(other).minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same_currency(other).minor

    @property
    def is_zero(self) -> bool:
        return self.minor == 0

    @property
    def is_negative(self) -> bool:
        return self.minor < 0

    def allocate(self, ratios: list[int] | int) -> list[Money]:
        """Split exactly into parts proportional to `ratios` (or N equal parts).

        Largest-remainder method: each part gets its floor share, and the minor units left over go
        one each to the parts with the largest remainders (earliest first on ties), so the parts
        always sum to the total and differ from the exact share by less than one minor unit.
        Instalments therefore put any extra cent on the first payments.
        """
        weights = [1] * ratios if isinstance(ratios, int) else list(ratios)
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise ValidationError("allocation needs at least one non-negative, non-zero ratio")
        total_weight = sum(weights)
        sign = -1 if self.minor < 0 else 1
        magnitude = abs(self.minor)
        shares = [divmod(magnitude * w, total_weight) for w in weights]
        parts = [floor for floor, _ in shares]
        leftover = magnitude - sum(parts)
        by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
        for index in by_remainder[:leftover]:
            parts[index] += 1
        return [Money(sign * part, self.currency) for part in parts]

    def __str__(self) -> str:
        return f"{self.to_major_string()} {self.currency}"


def total(amounts: list[Money], currency: str) -> Money:
    """Sum amounts of one currency; an empty list is zero in `currency`."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
