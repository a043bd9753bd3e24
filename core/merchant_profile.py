"""What a new merchant starts with (name, currency, country, language, time zone, branding,
numbering, payment terms), checked before it is stored: given by the console, the CLI, or a
store that installed Paylink by itself and describes its shop."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError

from core.errors import ValidationError
from core.money import currency_code

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True, slots=True)
class MerchantProfile:
    name: str
    currency: str = "EUR"
    country: str = "FR"
    default_locale: str = "fr"
    timezone: str = "Europe/Paris"
    brand_color: str = "#1f6feb"
    logo_url: str | None = None
    invoice_prefix: str = "F"
    payment_terms_days: int = 7

    def validated(self) -> MerchantProfile:
        if not self.name.strip():
            raise ValidationError("a merchant needs a name")
        try:
            Locale.parse(self.default_locale)
        except (UnknownLocaleError, ValueError):
            raise ValidationError(f"unknown locale {self.default_locale!r}") from None
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"unknown time zone {self.timezone!r}") from None
        if len(self.country) != 2 or not self.country.isalpha():
            raise ValidationError(f"country {self.country!r}: expected an ISO 3166 code like FR")
        if not HEX_COLOUR.fullmatch(self.brand_color):
            raise ValidationError(f"brand colour {self.brand_color!r}: expected #rrggbb")
        if not 0 <= self.payment_terms_days <= 365:
            raise ValidationError("payment terms are between 0 and 365 days")
        return replace(
            self,
            name=self.name.strip(),
            currency=currency_code(self.currency),
            country=self.country.upper(),
        )
