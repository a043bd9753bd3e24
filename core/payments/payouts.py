"""Payouts: the money a provider sends to the merchant's bank, and the payments it holds.

A provider that can say this implements `PayoutSource`; the reconciliation service then knows,
for each invoice paid through it, when the money was paid out and on which bank line it
arrived (the bank sees one credit per payout, net of the provider's fees).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Protocol, runtime_checkable

from core.money import Money


class PayoutStatus(enum.StrEnum):
    PENDING = "pending"
    IN_TRANSIT = "in_transit"
    PAID = "paid"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PayoutPayment:
    """One payment inside a payout, named as Paylink recorded it (`Payment.provider_payment_id`)."""

    provider_payment_id: str
    gross: Money
    fee: Money


@dataclass(frozen=True, slots=True)
class Payout:
    payout_id: str
    amount: Money  # what reaches the bank: net of fees and refunds
    arrival_on: date
    status: PayoutStatus
    payments: tuple[PayoutPayment, ...]
    fees: Money
    #: What the bank may show of it (a trace id, the payout's reference), when known.
    bank_reference: str | None = None


@runtime_checkable
class PayoutSource(Protocol):
    #: Words a bank line from this provider carries (the sender's name, a descriptor).
    statement_names: ClassVar[tuple[str, ...]]

    def payouts(self, since: date) -> Iterator[Payout]:
        """Payouts arriving on or after `since`, with their payments, oldest first."""
        ...
