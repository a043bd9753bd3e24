"""What a store platform can tell Paylink, and what Paylink hands a connector: plain data on
both sides of the connector seam (core/connector.py), so a platform package only translates
and transports, and one core service (core.services.store_changes) decides.

Inbound, a connector's pure `mapping.py` turns a delivery (or the resource its client re-read)
into a tuple of `StoreChange`s, applied in order. Input that means nothing to Paylink maps to
`Ignored`, input that cannot be used to `Unusable` (kept on the event, never retried): never an
exception. Outbound, the core passes `StoreRef`, `InvoiceForStore` and `CartToOrder`, never a
database row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.events import CartSeen, InvoiceRequested
from core.invoices import InvoiceStatus
from core.money import Money


@dataclass(frozen=True, slots=True)
class StoreRef:
    """A connected store as its connector needs it: who it is, the merchant's settings for it,
    and its secrets (decrypted for this call only, never printed)."""

    id: int
    merchant_id: int
    platform: str
    domain: str
    active: bool = True
    connected_at: datetime | None = None
    invoice_gateways: tuple[str, ...] | None = None
    polled_until: datetime | None = None
    webhooks_ready: bool = False
    credentials: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A verified delivery the connector's webhook route stored, as its job reads it back."""

    topic: str
    body: str
    triggered_at: datetime | None = None


# Inbound changes -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CartOrdered:
    """An order names a cart: the customer finished it in the store. `known_only` touches only
    a cart already followed (platforms whose carts and orders are one record)."""

    token: str
    order_ref: str | None
    known_only: bool = False


@dataclass(frozen=True, slots=True)
class OrderSettled:
    """The store settled an order another way (paid there, cancelled, deleted): its invoice
    and the cart that became it stop. `reason` is shown on the invoice's timeline."""

    external_id: str
    reason: str
    cart_token: str | None = None


@dataclass(frozen=True, slots=True)
class StoreUninstalled:
    """The merchant removed Paylink from the store; `triggered_at` (when the platform says it
    happened) lets an uninstall older than the latest install be recognised as stale."""

    triggered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CustomerDataRequested:
    """A customer asked the store for their data (GDPR access): their invoices are marked."""

    order_refs: tuple[str, ...]
    email: str | None
    phone: str | None
    request_id: str = ""


@dataclass(frozen=True, slots=True)
class CustomerErased:
    """Erase one customer's personal data (the orders named, their email, their phone)."""

    order_refs: tuple[str, ...]
    email: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class ShopErased:
    """The shop left for good: every personal datum it brought is erased."""


@dataclass(frozen=True, slots=True)
class Ignored:
    """Nothing for Paylink to do, and why (another gateway, already paid, unknown topic)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Unusable:
    """Signed by the platform but unusable (malformed, lines that do not add up): the event
    keeps the reason for the merchant and is never retried."""

    reason: str


StoreChange = (
    InvoiceRequested
    | CartSeen
    | CartOrdered
    | OrderSettled
    | StoreUninstalled
    | CustomerDataRequested
    | CustomerErased
    | ShopErased
    | Ignored
    | Unusable
)


@dataclass(frozen=True, slots=True)
class PolledRecord:
    """One record a poll read (an order, a cart) and what it means."""

    ref: str
    changes: Sequence[StoreChange]


# Outbound ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceForStore:
    """An invoice's payment state, as pushed to the store it came from."""

    number: str
    status: InvoiceStatus
    external_id: str | None
    amount_paid: Money
    #: The code of its payment link (core.links.payment_url makes the address).
    link_code: str
    #: The latest payment's id at its provider (the invoice number when none was recorded).
    payment_reference: str

    @property
    def paid(self) -> bool:
        return self.status == InvoiceStatus.PAID


@dataclass(frozen=True, slots=True)
class CartToOrder:
    """A paid cart the store must now turn into a paid order. `created_ref` is what an earlier
    attempt made in the store (a draft); `keep_created` records such an object the moment it
    exists, so a retry after a crash reuses it instead of making a second one."""

    id: int
    token: str
    body: str
    created_ref: str | None
    #: When the core asks, on its clock (for a request the store signs or checks in time).
    now: datetime
    keep_created: Callable[[str], None] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class CartOrderOutcome:
    """What making the store's order did; `order_ref` once the store has the paid order."""

    outcome: str
    order_ref: str | None = None


@dataclass(frozen=True, slots=True)
class SetupOutcome:
    """What setting a store up did, and whether its webhooks are now known to be in place."""

    outcome: str
    webhooks_ready: bool
