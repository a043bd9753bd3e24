"""A thank-you for customers who pay early: paid in full within the merchant's window (24 hours
after the invoice reached them, say), the customer gets a single-use discount code for their
next order, made in the store the order came from (each connector's `create_discount_code`).

Pure: the offer's rules, whether an invoice earned it, and the code's words. The code is drawn
at random (not derived from the invoice: nobody can guess another customer's), from letters and
digits that read back without doubt over the phone (no 0/O, 1/I/L).
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.errors import ValidationError
from core.money import Money

#: Letters and digits that cannot be mistaken for one another when read or typed.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_PREFIX = {"fr": "MERCI", "en": "THANKS"}


class RewardKind(enum.StrEnum):
    PERCENT = "percent"  # a share of the next order
    AMOUNT = "amount"  # a fixed amount off the next order, in the merchant's currency


@dataclass(frozen=True)
class RewardOffer:
    """The merchant's offer: `value` percent (1-50) or minor units off the next order, for a
    payment in full within `window_hours` of the invoice reaching the customer; the code is
    valid `valid_days` days."""

    window_hours: int
    kind: RewardKind
    value: int
    valid_days: int = 30

    def __post_init__(self) -> None:
        if not 1 <= self.window_hours <= 168:
            raise ValidationError("the window is 1 to 168 hours", key="reward_window")
        if self.kind == RewardKind.PERCENT and not 1 <= self.value <= 50:
            raise ValidationError("a percentage is 1 to 50", key="reward_percent")
        if self.kind == RewardKind.AMOUNT and self.value < 1:
            raise ValidationError("an amount is more than zero", key="reward_amount")
        if not 1 <= self.valid_days <= 365:
            raise ValidationError("a code is valid 1 to 365 days", key="reward_validity")

    def earned(self, reached_customer_at: datetime, paid_at: datetime) -> bool:
        """Paid within the window (a payment dated before the invoice counts: it is early)."""
        return paid_at - reached_customer_at <= timedelta(hours=self.window_hours)

    def code_for(self, language: str, paid_at: datetime, currency: str) -> DiscountCode:
        """A new code, valid from the payment for `valid_days` days."""
        prefix = CODE_PREFIX.get(language, CODE_PREFIX["en"])
        drawn = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        return DiscountCode(
            code=f"{prefix}-{drawn[:4]}-{drawn[4:]}",
            kind=self.kind,
            value=self.value,
            currency=currency,
            starts_at=paid_at,
            ends_at=paid_at + timedelta(days=self.valid_days),
        )


def offer_to_json(offer: RewardOffer) -> dict[str, Any]:
    return {
        "window_hours": offer.window_hours,
        "kind": offer.kind.value,
        "value": offer.value,
        "valid_days": offer.valid_days,
    }


def offer_from_json(data: dict[str, Any]) -> RewardOffer:
    return RewardOffer(
        int(data["window_hours"]), RewardKind(data["kind"]), int(data["value"]),
        int(data["valid_days"]),
    )  # fmt: skip


@dataclass(frozen=True)
class DiscountCode:
    """A single-use code for one order, as a connector creates it in its store (plain data
    across the connector seam). `value` is a percentage or minor units of `currency`."""

    code: str
    kind: RewardKind
    value: int
    currency: str
    starts_at: datetime
    ends_at: datetime

    @property
    def amount(self) -> Money:
        """The fixed amount off (AMOUNT codes only)."""
        if self.kind != RewardKind.AMOUNT:
            raise ValueError("a percentage code has no amount")
        return Money(self.value, self.currency)

    def title(self, invoice_number: str) -> str:
        """How the store's admin lists it: where it came from."""
        return f"Paylink: early payment of {invoice_number}"
