"""The Connector protocol: what a store platform package gives the core.

Connectors are found through the `paylink.connectors` entry points (the core never imports one
by name) and built from the settings. Each brings its own blueprint (install, webhooks), and
turns the store events its webhooks stored into core use cases, in a job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import ClassVar, Protocol

from flask import Blueprint, Request

from core.events import InvoiceRequested
from core.services.context import ServiceContext
from core.settings import Settings
from core.storage.models import Invoice, Store, StoreCart, StoreEvent

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


class Connector(Protocol):
    platform: ClassVar[str]
    connect_form: ClassVar[ConnectForm]
    #: Whether the platform's deliveries can be missed for good (no retry, webhooks disabled
    #: after failures), so each store is also read periodically (`poll`).
    polls: ClassVar[bool]
    #: The store payment methods whose unpaid orders get an invoice until the merchant chooses
    #: (the setting is kept with the store as `invoice_gateways`).
    invoice_gateways: ClassVar[tuple[str, ...]]

    def blueprint(self) -> Blueprint:
        """Install and webhook routes, under /connectors/<platform>/."""

    def process_event(self, ctx: ServiceContext, store: Store, event: StoreEvent) -> str:
        """Apply one stored store event (in a job); returns its outcome for the inbox. Raises
        UnusablePayload for a signed body that cannot be used (kept, visible, not retried)."""

    def push_payment(self, ctx: ServiceContext, store: Store, invoice: Invoice) -> str:
        """Tell the store what the invoice's payments now say (paid, or partly), idempotently;
        returns what was done. Raises to be retried (throttled, store down)."""

    def setup_store(self, ctx: ServiceContext, store: Store) -> str:
        """After a store is connected (a job): create or repair what the platform needs of it
        (its webhooks), idempotently; returns what was done."""

    def poll(self, ctx: ServiceContext, store: Store) -> str:
        """Read what changed in the store since the last poll and apply it as the webhooks
        would (idempotent with them); re-enable webhooks the platform disabled."""

    def embedded_sign_in(self, ctx: ServiceContext, request: Request) -> EmbeddedSignIn | None:
        """The merchant this request is signed in as by the platform's own admin, or None when
        it carries nothing of the platform's. Raises Unauthorized for a credential that fails."""

    def cart_invoice(self, store: Store, body: str) -> InvoiceRequested | None:
        """The invoice an abandoned cart (the body its last webhook carried) asks for, or None
        when the customer cannot be reached. Pure: no call to the store."""

    def create_order_from_cart(
        self, ctx: ServiceContext, store: Store, cart: StoreCart, body: str, invoice: Invoice
    ) -> str:
        """The cart's invoice is paid: make the store's paid order for it, idempotently (record
        intermediate objects with `carts.record_created`, the order with
        `carts.record_recovered`); returns what was done. Raises to be retried."""


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
