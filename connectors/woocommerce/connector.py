"""The WooCommerce connector as the core sees it (core/connector.py). Needs no app credentials:
each store gives its own keys at install, so it is always offered.

Every order event is read from the order as the store has it *now* (re-read through the REST
API), not from the payload: deliveries collapse (one per 10 minutes per order), arrive out of
order, or never arrive, and the poller reads the same orders the same way (mapping.py says what
each means).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import ClassVar

from flask import Blueprint, Request

from connectors.woocommerce.mapping import (
    DEFAULT_INVOICE_METHODS,
    order_changes,
    order_deleted,
    order_invoice,
    reachable,
)
from connectors.woocommerce.rest import WooCommerceApi
from connectors.woocommerce.web import create_woocommerce_blueprint, delivery_url
from core.connector import ConnectForm, EmbeddedSignIn, StoreHost
from core.early_payer_reward import DiscountCode, RewardKind
from core.errors import MALFORMED_PAYLOAD, AccessRevoked
from core.events import InvoiceRequested, SourceKind
from core.http import store_session
from core.links import payment_url
from core.settings import Settings
from core.store_changes import (
    CartOrderOutcome,
    CartToOrder,
    Delivery,
    Ignored,
    InvoiceForStore,
    PolledRecord,
    SetupOutcome,
    StoreChange,
    StoreRef,
    Unusable,
)

#: Deleted (trashed) and restored orders too: a trashed order is not listed by the poller, so
#: without its webhook its invoice would keep reminding the customer.
TOPICS = ("order.created", "order.updated", "order.deleted", "order.restored")
POLL_PAGE = 50


class WooCommerceConnector:
    platform: ClassVar[str] = "woocommerce"
    connect_form: ClassVar[ConnectForm] = ConnectForm(
        platform_name="WooCommerce",
        endpoint="woocommerce.install",
        field="store_url",
        title={"fr": "Connecter une boutique WooCommerce", "en": "Connect a WooCommerce store"},
        label={"fr": "Adresse de la boutique", "en": "Store address"},
        placeholder="https://boutique.example",
    )
    #: WooCommerce never retries a failed delivery and disables a failing webhook.
    polls: ClassVar[bool] = True
    invoice_gateways: ClassVar[tuple[str, ...]] = DEFAULT_INVOICE_METHODS

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session = store_session(20.0, settings.allow_private_stores)

    @classmethod
    def from_settings(cls, settings: Settings) -> WooCommerceConnector:
        return cls(settings)

    def blueprint(self, host: StoreHost) -> Blueprint:
        return create_woocommerce_blueprint(self.settings, host)

    def api(self, store: StoreRef) -> WooCommerceApi:
        keys = store.credentials
        if not keys.get("consumer_key"):
            raise AccessRevoked(f"{store.domain} has no keys: connect it again")
        return WooCommerceApi(
            str(keys["store_url"]),
            str(keys["consumer_key"]),
            str(keys["consumer_secret"]),
            self.session,
            self.settings.allow_private_stores,
        )

    # From the store -----------------------------------------------------------------------

    def read_delivery(self, store: StoreRef, delivery: Delivery) -> Sequence[StoreChange]:
        if not delivery.topic.startswith("order."):
            return (Ignored(f"ignored ({delivery.topic})"),)
        try:
            order_id = int(json.loads(delivery.body)["id"])
        except MALFORMED_PAYLOAD as error:
            return (Unusable(f"{delivery.topic} not usable: {error}"),)
        status, order = self.api(store).call("GET", f"orders/{order_id}")
        if status == 404:
            return order_deleted(order_id)
        return order_changes(order, store)

    def poll(self, store: StoreRef, since: datetime) -> Iterator[PolledRecord]:
        """Orders changed since `since`, page by page (what a lost delivery missed)."""
        api, page = self.api(store), 1
        while True:
            _, orders = api.call(
                "GET",
                "orders",
                params={
                    "modified_after": since.strftime("%Y-%m-%dT%H:%M:%S"),
                    "dates_are_gmt": "true",
                    "per_page": POLL_PAGE,
                    "page": page,
                    "orderby": "id",
                    "order": "asc",
                },
            )
            for order in orders or []:
                yield PolledRecord(f"order {order.get('id')}", order_changes(order, store))
            if len(orders or []) < POLL_PAGE:
                return
            page += 1

    def cart_invoice(self, store: StoreRef, body: str) -> InvoiceRequested | None:
        order = json.loads(body)
        return order_invoice(order, store.id, SourceKind.CART) if reachable(order) else None

    # Back to the store --------------------------------------------------------------------

    def push_payment(self, store: StoreRef, invoice: InvoiceForStore) -> str:
        return self._paid(store, invoice, int(str(invoice.external_id)))

    def create_order_from_cart(
        self, store: StoreRef, cart: CartToOrder, invoice: InvoiceForStore
    ) -> CartOrderOutcome:
        """The lost checkout *is* the store's order: it is marked paid, and recovered."""
        order_id = int(json.loads(cart.body)["id"])
        return CartOrderOutcome(self._paid(store, invoice, order_id), str(order_id))

    def _paid(self, store: StoreRef, invoice: InvoiceForStore, order_id: int) -> str:
        """`set_paid` with the provider's payment id where the order still needs payment
        (`pending`, `failed`); an `on-hold` order (awaiting a transfer) is moved to
        `processing`; then a private note with the invoice, once."""
        api = self.api(store)
        status, order = api.call("GET", f"orders/{order_id}")
        if status == 404:
            return f"order {order_id} not found in the store"
        paid, reference = invoice.paid, invoice.payment_reference
        done = []
        if not paid:
            done.append("partly paid: noted")
        elif order["status"] in ("pending", "failed"):
            api.call(
                "PUT", f"orders/{order_id}", body={"set_paid": True, "transaction_id": reference}
            )
            done.append("marked paid")
        elif order["status"] == "on-hold":
            api.call(
                "PUT",
                f"orders/{order_id}",
                body={"status": "processing", "transaction_id": reference},
            )
            done.append("moved to processing")
        else:
            done.append(f"not marked paid (the store says {order['status']})")
        link = payment_url(self.settings.base_url, invoice.link_code)
        note = (
            f"Paylink: invoice {invoice.number}, {invoice.amount_paid} paid ({reference}). {link}"
        )
        _, notes = api.call("GET", f"orders/{order_id}/notes")
        if not any(note == existing.get("note") for existing in notes or []):
            api.call(
                "POST", f"orders/{order_id}/notes", body={"note": note, "customer_note": False}
            )
            done.append("noted")
        return "; ".join(done)

    # Webhooks ----------------------------------------------------------------------------

    def create_discount_code(self, store: StoreRef, code: DiscountCode, title: str) -> str:
        """A coupon for one use on the whole next order; one the store has already under this
        code (a retry) is returned, not made again."""
        api = self.api(store)
        _, found = api.call("GET", "coupons", params={"code": code.code})
        if isinstance(found, list) and found:
            return str(found[0]["id"])
        _, made = api.call("POST", "coupons", body=coupon_body(code, title))
        return str(made["id"])

    def setup_store(self, store: StoreRef) -> SetupOutcome:
        """Our webhooks on the store, active and signed with our secret: created when missing,
        repaired (re-activated, secret set again) when the store has them."""
        api = self.api(store)
        wanted = {"status": "active", "secret": store.credentials["webhook_secret"]}
        delivery = delivery_url(self.settings, store.id)
        _, existing = api.call("GET", "webhooks", params={"per_page": 100})
        ours = {
            hook["topic"]: hook for hook in existing or [] if hook.get("delivery_url") == delivery
        }
        done = []
        for topic in TOPICS:
            hook = ours.get(topic)
            if hook is None:
                api.call(
                    "POST",
                    "webhooks",
                    body={
                        "name": f"Paylink {topic}",
                        "topic": topic,
                        "delivery_url": delivery,
                        **wanted,
                    },
                )
                done.append(f"{topic} created")
            elif hook.get("status") != "active" or not store.webhooks_ready:
                api.call("PUT", f"webhooks/{hook['id']}", body=wanted)
                done.append(f"{topic} re-enabled")
        return SetupOutcome("; ".join(done) or "webhooks in place", webhooks_ready=True)

    def embedded_sign_in(self, host: StoreHost, request: Request) -> EmbeddedSignIn | None:
        return None  # WooCommerce's admin does not frame apps


def coupon_body(code: DiscountCode, title: str) -> dict[str, object]:
    """`POST /coupons`: a percentage or a fixed amount off the cart, used once in all, until
    the end date (GMT, WooCommerce's format without offset)."""
    percent = code.kind == RewardKind.PERCENT
    return {
        "code": code.code,
        "discount_type": "percent" if percent else "fixed_cart",
        "amount": str(code.value) if percent else code.amount.to_major_string(),
        "description": title,
        "date_expires_gmt": code.ends_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "individual_use": False,
    }
