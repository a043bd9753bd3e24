"""Instalment plans, pure: what "pay in 3" means for an amount, as the customer sees it and the
provider charges it.

The parts sum exactly to the amount (Money.allocate, extra minor units on the first parts, so
the larger part is the one taken today), one every `interval_days` from today.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from core.errors import ValidationError
from core.money import Money
from core.payments.provider import Instalment

MIN_COUNT, MAX_COUNT = 2, 12
DEFAULT_INTERVAL_DAYS = 30


@dataclass(frozen=True, slots=True)
class InstalmentTerms:
    """A merchant's offer: how many parts, how far apart, and from which amount it is offered."""

    count: int
    interval_days: int = DEFAULT_INTERVAL_DAYS
    minimum: int = 0  # minor units of the invoice's currency

    def __post_init__(self) -> None:
        if not MIN_COUNT <= self.count <= MAX_COUNT:
            raise ValidationError(f"instalments are {MIN_COUNT} to {MAX_COUNT} payments")
        if not 1 <= self.interval_days <= 92:
            raise ValidationError("instalments are 1 to 92 days apart")
        if self.minimum < 0:
            raise ValidationError("the instalment minimum cannot be negative")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> InstalmentTerms | None:
        """Terms from a payment account's settings (`instalments`, `instalment_interval_days`,
        `instalment_minimum`), or None when the merchant offers no instalments."""
        count = settings.get("instalments")
        if not count:
            return None
        try:
            return cls(
                count=int(count),
                interval_days=int(settings.get("instalment_interval_days", DEFAULT_INTERVAL_DAYS)),
                minimum=int(settings.get("instalment_minimum", 0)),
            )
        except (TypeError, ValueError) as error:
            raise ValidationError(f"instalment settings are not valid: {error}") from None


def instalment_schedule(amount: Money, terms: InstalmentTerms, today: date) -> list[Instalment]:
    """The schedule for `amount`, or [] when the terms do not apply to it (below the minimum,
    or too small to split into non-zero parts)."""
    if amount.minor < max(terms.minimum, terms.count):
        return []
    parts = amount.allocate(terms.count)
    return [
        Instalment(today + timedelta(days=index * terms.interval_days), part)
        for index, part in enumerate(parts)
    ]
