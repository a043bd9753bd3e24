"""The Connector protocol: what a store platform package gives the core, and the StoreHost the
core gives it back.

Connectors are found through the `paylink.connectors` entry points (the core never imports one
by name) and built from the settings. A connector translates and transports, nothing more: its
routes verify and store deliveries through the host, its `read_delivery` and `poll` say what
the store's records mean (core/store_changes.py), and the core decides what to do about them
(core.services.store_changes). Everything crossing the seam is plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, ClassVar, Protocol

from flask import Blueprint, Request, Response

from core.early_payer_reward import DiscountCode
from core.events import InvoiceRequested
from core.merchant_profile import MerchantProfile
from core.settings import Settings
from core.store_changes import (
    CartOrderOutcome,
    CartToOrder,
    Delivery,
    InvoiceForStore,
    PolledRecord,
    SetupOutcome,
    StoreChange,
    StoreRef,
)

ENTRY_POINT_GROUP = "paylink.connectors"


@dataclass(frozen=True)
class ConnectForm:
    """How the console's stores page offers to connect a store of a platform: one field (the
    store's address), sent by GET to the connector's install route, which takes it from
    there. Texts are given per console language."""

    endpoint: str  # the Flask endpoint of the install route
    field: str
    title: Mapping[str, str]
    label: Mapping[str, str]
    placeholder: str
    #: The platform's own name, as people write it ("WooCommerce").
    platform_name: str = ""


@dataclass(frozen=True)
class EmbeddedSignIn:
    """A merchant signed in by the platform whose admin shows the console in a frame (Shopify's
    App Bridge session token), for this one request: who they are, which origins may frame the
    page, the platform's scripts and meta tags the page must load there, and the query values
    every navigation inside the frame carries along (the fresh token is added by those scripts;
    a redirect reuses the one this request came with)."""

    merchant_id: int
    name: str
    token: str
    token_field: str
    frame_ancestors: tuple[str, ...]
    scripts: tuple[str, ...]
    meta: Mapping[str, str]
    carry: Mapping[str, str]


class StoreHost(Protocol):
    """What the core offers a connector's routes (install callbacks, webhooks, an embedded
    admin): the few store operations they need, on plain data. The connector gets it with its
    blueprint, so it never reaches the database or a service itself."""

    def clock(self) -> datetime:
        """Now, from the app's clock (injected in tests)."""

    def find_store(self, platform: str, domain: str, active_only: bool = True) -> StoreRef | None:
        """The store a delivery names; uninstalled ones only when asked (privacy requests
        arrive after an uninstall and must still be honoured)."""

    def store(self, platform: str, store_id: int) -> StoreRef | None:
        """A connected store of this platform by its Paylink id (a per-store webhook URL)."""

    def receive(
        self,
        store: StoreRef,
        event_key: str,
        topic: str,
        raw_body: bytes,
        triggered_at: datetime | None = None,
    ) -> bool:
        """Keep a verified delivery once, with the job that applies it; False for a repeat."""

    def connect(
        self, merchant_id: int, platform: str, domain: str, credentials: Mapping[str, Any]
    ) -> StoreRef:
        """Connect (or reconnect) a store to a merchant: its secrets replaced, the merchant's
        settings for it kept, and a setup job queued (`Connector.setup_store`)."""

    def connect_new_merchant(
        self,
        profile: MerchantProfile,
        platform: str,
        domain: str,
        credentials: Mapping[str, Any],
    ) -> StoreRef:
        """A store that installed Paylink by itself, with a new merchant of its own."""

    def render_console(self, template: str, **context: Any) -> Response:
        """A page of the console (the connector's own template, extending
        "console/base.html"), with the console's layout, language (`lang`), CSRF token
        (`logout_form.csrf_token`) and security headers."""

    def require_form(self) -> None:
        """The console form just posted carries a valid CSRF token, or a 400 with the reason."""

    def tell_merchant(self, notice: str) -> None:
        """Show the signed-in merchant one of the console's notices (`store_connected`,
        `store_refused`) on their next page, in their language."""


class Connector(Protocol):
    platform: ClassVar[str]
    connect_form: ClassVar[ConnectForm]
    #: Whether the platform's deliveries can be missed for good (no retry, webhooks disabled
    #: after failures), so each store is also read periodically (`poll`).
    polls: ClassVar[bool]
    #: The store payment methods whose unpaid orders get an invoice until the merchant chooses
    #: (the setting is kept with the store as `invoice_gateways`).
    invoice_gateways: ClassVar[tuple[str, ...]]

    def blueprint(self, host: StoreHost) -> Blueprint:
        """Install and webhook routes, under /connectors/<platform>/."""

    def read_delivery(self, store: StoreRef, delivery: Delivery) -> Sequence[StoreChange]:
        """What a stored delivery means, as changes the core applies in order: its mapping
        alone, or the resource as the store has it now where the platform must be re-read.
        Input it cannot use maps to `Unusable`, never to an exception; raises only for a
        failed call to the store (retried), or AccessRevoked."""

    def cart_invoice(self, store: StoreRef, body: str) -> InvoiceRequested | None:
        """The invoice an abandoned cart (the body its last delivery carried) asks for, or None
        when the customer cannot be reached. Pure: no call to the store. Raises a
        MALFORMED_PAYLOAD error for a body that is not a cart."""

    def setup_store(self, store: StoreRef) -> SetupOutcome:
        """After a store is connected, and before each poll: create or repair what the
        platform needs of it (its webhooks), idempotently."""

    def poll(self, store: StoreRef, since: datetime) -> Iterable[PolledRecord]:
        """The store's records changed since `since`, each with what it means (a platform that
        is not polled yields nothing). Read lazily: the core applies each as it comes."""

    def push_payment(self, store: StoreRef, invoice: InvoiceForStore) -> str:
        """Tell the store what the invoice's payments now say (paid, or partly), idempotently;
        returns what was done. Raises to be retried (throttled, store down)."""

    def create_order_from_cart(
        self, store: StoreRef, cart: CartToOrder, invoice: InvoiceForStore
    ) -> CartOrderOutcome:
        """The cart's invoice is paid in full: make the store's paid order for it,
        idempotently (intermediate objects kept through `cart.keep_created`). Raises to be
        retried."""

    def create_discount_code(self, store: StoreRef, code: DiscountCode, title: str) -> str:
        """Make a single-use discount code for one order in the store (an early payer's
        thank-you), idempotently: a code the store has already is found, not made twice.
        Returns the store's id for it. Raises StoreRefused when the store will not make it
        (a permission not granted), anything else to be retried."""

    def embedded_sign_in(self, host: StoreHost, request: Request) -> EmbeddedSignIn | None:
        """The merchant this request is signed in as by the platform's own admin, or None when
        it carries nothing of the platform's. Raises Unauthorized for a credential that fails."""


#: A connector's entry point: built from the settings, or None when they do not configure it
#: (a platform whose app credentials are not set is simply not offered).
ConnectorFactory = Callable[[Settings], "Connector | None"]


def build_connectors(settings: Settings) -> dict[str, Connector]:
    built: dict[str, Connector] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        factory: ConnectorFactory = entry.load()
        connector = factory(settings)
        if connector is not None:
            built[connector.platform] = connector
    return built
