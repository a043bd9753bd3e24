"""The normalised events that connectors, providers and the API hand to the services.

Each platform's payloads are translated into these by the platform's own `mapping.py`; the core
only ever sees these shapes. Amounts are already `Money`; contact details are still raw (the
services normalise them with the merchant's country as the default phone region).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from core.invoice_document import Party
from core.invoices import InvoiceContent
from core.money import Money


class SourceKind(enum.StrEnum):
    ORDER = "order"  # a placed order awaiting payment
    CART = "cart"  # an abandoned cart or checkout to recover
    API = "api"  # made by hand through the REST API or the console
    RECURRING = "recurring"  # a period of a recurring schedule


@dataclass(frozen=True, slots=True)
class CustomerDetails:
    name: str
    email: str | None
    phone: str | None
    locale: str | None = None
    #: What the store says of the customer ("vip", "wholesale"): billing rules may look at it.
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InvoiceRequested:
    """An order, an abandoned cart, or an API call asks for an invoice.

    (store_id, source_kind, external_id) identifies it: the same request twice gives the same
    invoice. API requests have no store; their optional `external_id` is the client's reference.
    """

    source_kind: SourceKind
    external_id: str | None
    content: InvoiceContent
    customer: CustomerDetails
    store_id: int | None = None
    due_at: datetime | None = None
    expires_at: datetime | None = None
    draft: bool = False
    early_discount: Money | None = None
    early_discount_until: datetime | None = None
    buyer: Party | None = None  # a business customer: company, SIREN, VAT number, address
    #: An order placed in the customer's currency: its total in the store's own currency, as
    #: the store converted it (its rate, not ours); None when both are one currency.
    shop_total: Money | None = None
    #: A subscription's period paid by the customer's saved method: no message asks for
    #: payment unless the charge fails (`core.services.autopay`).
    autopay: bool = False


@dataclass(frozen=True, slots=True)
class CartSeen:
    """A store says a cart or checkout was created or changed. `changed_at` is the store's own
    time of the change (deliveries come late and out of order: an older one is stale);
    `completed` means the customer finished it in the store."""

    token: str
    changed_at: datetime
    completed: bool
    body: str


@dataclass(frozen=True, slots=True)
class PaymentReceived:
    """A provider says money arrived (from a verified webhook or a server-side fetch only)."""

    provider: str
    provider_payment_id: str
    invoice_id: int
    amount: Money
    occurred_at: datetime
    method: str | None = None
    #: Where the money was seen, for the invoice's timeline (a bank statement's line: its
    #: statement, date, payer and text), as (name, value) pairs.
    evidence: tuple[tuple[str, str | int | None], ...] = ()


@dataclass(frozen=True, slots=True)
class RefundIssued:
    provider: str
    provider_refund_id: str
    invoice_id: int
    amount: Money
    occurred_at: datetime
