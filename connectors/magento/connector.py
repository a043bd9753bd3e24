"""The Magento connector as the core sees it (core/connector.py). Always offered: each store
connects itself through an Integration (OAuth 1.0a), so no app credentials are needed.

Magento Open Source sends nothing by itself. With the Paylink module installed, each placed or
saved order is announced (signed) and read again here; without it, and to catch what the module
missed, every store is polled: orders and quotes by `updated_at`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar

from flask import Blueprint, Request

from connectors.magento.mapping import (
    DEFAULT_INVOICE_METHODS,
    OrderState,
    amount,
    order_changes,
    order_state,
    quote_invoice,
    quote_seen,
)
from connectors.magento.rest import Credentials, MagentoApi, MagentoRefused, search_criteria
from connectors.magento.web import create_magento_blueprint
from connectors.signed_events import UNREADABLE
from core.connector import ConnectForm, EmbeddedSignIn, StoreHost
from core.early_payer_reward import DiscountCode, RewardKind
from core.errors import MALFORMED_PAYLOAD, AccessRevoked, StoreRefused
from core.events import InvoiceRequested
from core.http import store_session, unless_not_granted
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

POLL_PAGE = 50
ORDER_EVENTS = ("order.placed", "order.saved")
#: The payment method the module adds ("Pay by link"), used to place a recovered quote.
PAYLINK_METHOD = "paylink"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class MagentoConnector:
    platform: ClassVar[str] = "magento"
    connect_form: ClassVar[ConnectForm] = ConnectForm(
        platform_name="Magento",
        endpoint="magento.install",
        field="store_url",
        title={"fr": "Connecter une boutique Magento", "en": "Connect a Magento store"},
        label={"fr": "Adresse de la boutique", "en": "Store address"},
        placeholder="https://boutique.example",
    )
    #: Magento Open Source has no webhooks: stores are always polled.
    polls: ClassVar[bool] = True
    invoice_gateways: ClassVar[tuple[str, ...]] = DEFAULT_INVOICE_METHODS

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session = store_session(20.0, settings.allow_private_stores)

    @classmethod
    def from_settings(cls, settings: Settings) -> MagentoConnector:
        return cls(settings)

    def blueprint(self, host: StoreHost) -> Blueprint:
        return create_magento_blueprint(self.settings, host)

    def api(self, store: StoreRef) -> MagentoApi:
        if not store.credentials.get("access_token"):
            raise AccessRevoked(f"{store.domain} has no integration token: activate it again")
        return MagentoApi(
            str(store.credentials["store_url"]),
            Credentials.of(store.credentials),
            self.session,
            self.settings.allow_private_stores,
        )

    def _methods(self, store: StoreRef) -> tuple[str, ...]:
        return store.invoice_gateways or DEFAULT_INVOICE_METHODS

    # From the store -----------------------------------------------------------------------

    def read_delivery(self, store: StoreRef, delivery: Delivery) -> Sequence[StoreChange]:
        if delivery.topic not in (*ORDER_EVENTS, UNREADABLE):
            return (Ignored(f"ignored ({delivery.topic})"),)
        try:
            event = json.loads(delivery.body)
            if not isinstance(event, dict) or event.get("event") != delivery.topic:
                raise ValueError("not an event of the Paylink module")
            order_id = int(event["order_id"])
        except MALFORMED_PAYLOAD as error:
            return (Unusable(f"{delivery.topic} not usable: {error}"),)
        api = self.api(store)
        status, order = api.call("GET", f"orders/{order_id}")
        if status == 404:
            return (Ignored(f"order {order_id} is no longer in the store"),)
        return self._order_changes(api, store, order)

    def _order_changes(
        self, api: MagentoApi, store: StoreRef, order: dict[str, Any]
    ) -> tuple[StoreChange, ...]:
        methods = self._methods(store)
        tags = self._group(api, order) if order_state(order, methods) == OrderState.INVOICE else ()
        return order_changes(order, store.id, methods, tags)

    @staticmethod
    def _group(api: MagentoApi, order: dict[str, Any]) -> tuple[str, ...]:
        """The order's customer group by its code ("Wholesale"), for billing rules; none for a
        guest (group 0). An integration not given customer groups answers 401 right after
        the order was read: no tag, rather than a disconnected store."""
        group_id = order.get("customer_group_id")
        if not group_id or not str(group_id).isdigit():
            return ()
        try:
            status, group = api.call("GET", f"customerGroups/{int(group_id)}")
        except AccessRevoked:
            return ()
        code = str((group or {}).get("code") or "").strip() if status == 200 else ""
        return (code,) if code else ()

    def poll(self, store: StoreRef, since: datetime) -> Iterator[PolledRecord]:
        """Orders, then quotes with items, changed since `since` (Magento keeps UTC)."""
        api = self.api(store)
        after = since.strftime(TIME_FORMAT)
        for order in self._pages(
            api, "orders", [("updated_at", after, "gt")], ("entity_id", "ASC")
        ):
            changes = self._order_changes(api, store, order)
            yield PolledRecord(f"order {order.get('increment_id')}", changes)
        quotes = [("updated_at", after, "gt"), ("items_count", 0, "gt")]
        for quote in self._pages(api, "carts/search", quotes):
            yield PolledRecord(f"cart {quote.get('id')}", self._quote_changes(api, quote))

    def _pages(
        self,
        api: MagentoApi,
        path: str,
        filters: list[tuple[str, Any, str]],
        sort: tuple[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            params = search_criteria(filters, sort, POLL_PAGE, page)
            _, found = api.call("GET", path, params)
            items = (found or {}).get("items") or []
            yield from items
            if page * POLL_PAGE >= int((found or {}).get("total_count") or 0) or not items:
                return
            page += 1

    def _quote_changes(self, api: MagentoApi, quote: dict[str, Any]) -> tuple[StoreChange, ...]:
        try:
            if not quote.get("is_active", True):
                return (quote_seen(quote, {}),)
            _, totals = api.call("GET", f"carts/{int(quote['id'])}/totals")
            return (quote_seen(quote, totals or {}),)
        except MALFORMED_PAYLOAD as error:
            return (Unusable(f"cart {quote.get('id')} not usable: {error}"),)

    def cart_invoice(self, store: StoreRef, body: str) -> InvoiceRequested | None:
        return quote_invoice(json.loads(body), store.id)

    # Back to the store --------------------------------------------------------------------

    def setup_store(self, store: StoreRef) -> SetupOutcome:
        """The integration's token is tried on the orders it must read."""
        self.api(store).call("GET", "orders", search_criteria([], None, 1, 1))
        return SetupOutcome("integration token works", webhooks_ready=True)

    def push_payment(self, store: StoreRef, invoice: InvoiceForStore) -> str:
        """Paid in full: a Magento invoice with `capture: false` (marked paid, no gateway
        call), unless the order is invoiced already. Then one comment with the invoice number,
        the provider's payment id and the link. Magento's refusals are told, not retried."""
        api = self.api(store)
        order_id = int(str(invoice.external_id))
        status, order = api.call("GET", f"orders/{order_id}")
        if status == 404:
            return f"order {order_id} not found in the store"
        done: list[str] = []
        try:
            if invoice.paid:
                done.append(self._invoice_order(api, order))
            else:
                done.append("partly paid: noted")
            done.append(self._comment(api, order, invoice))
        except MagentoRefused as refused:
            done.append(refused.message)
        return "; ".join(part for part in done if part)

    def _invoice_order(self, api: MagentoApi, order: dict[str, Any]) -> str:
        currency = str(order["order_currency_code"])
        due = amount(order.get("total_due"), currency)
        invoiced = amount(order.get("total_invoiced"), currency)
        if invoiced >= amount(order["grand_total"], currency) or due.minor <= 0:
            return "already invoiced in the store"
        api.call(
            "POST",
            f"order/{int(order['entity_id'])}/invoice",
            body={"capture": False, "notify": True},
        )
        return "invoiced (paid)"

    def _comment(self, api: MagentoApi, order: dict[str, Any], invoice: InvoiceForStore) -> str:
        link = payment_url(self.settings.base_url, invoice.link_code)
        text = (
            f"Paylink: invoice {invoice.number}, {invoice.amount_paid} paid "
            f"({invoice.payment_reference}). {link}"
        )
        order_id = int(order["entity_id"])
        _, comments = api.call("GET", f"orders/{order_id}/comments")
        if any(c.get("comment") == text for c in (comments or {}).get("items") or []):
            return ""
        history = {
            "comment": text,
            "is_customer_notified": 0,
            "is_visible_on_front": 0,
            "parent_id": order_id,
        }
        api.call("POST", f"orders/{order_id}/comments", body={"statusHistory": history})
        return "noted"

    def create_discount_code(self, store: StoreRef, code: DiscountCode, title: str) -> str:
        """A cart price rule of its own (every website and customer group, used once) with the
        code as its coupon; a coupon the store has already (a retry) is returned, and a rule an
        attempt made before dying is reused rather than made twice."""
        api = self.api(store)
        _, found = unless_not_granted(
            lambda: api.call("GET", "coupons/search", search_criteria([("code", code.code, "eq")])),
            lambda: self.setup_store(store),
            "the Paylink integration may not make cart price rules: in System > Integrations, "
            "give it Marketing > Cart Price Rules and activate it again",
        )
        coupons = (found or {}).get("items") or []
        if coupons:
            return str(coupons[0]["coupon_id"])
        name = f"{title} ({code.code})"
        _, rules = api.call("GET", "salesRules/search", search_criteria([("name", name, "eq")]))
        existing = (rules or {}).get("items") or []
        try:
            rule_id = existing[0]["rule_id"] if existing else self._new_rule(api, code, name)
            _, coupon = api.call(
                "POST",
                "coupons",
                body={
                    "coupon": {
                        "rule_id": rule_id,
                        "code": code.code,
                        "usage_limit": 1,
                        "usage_per_customer": 1,
                        "times_used": 0,
                        "is_primary": False,
                        "type": 0,  # made by hand (1: generated)
                    }
                },
            )
        except MagentoRefused as refused:
            raise StoreRefused(refused.message) from None
        return str(coupon["coupon_id"])

    def _new_rule(self, api: MagentoApi, code: DiscountCode, name: str) -> int:
        """The rule behind one coupon: specific coupons "auto generated" (what lets a coupon
        be added through the API), a percentage or a fixed amount off the whole cart."""
        _, websites = api.call("GET", "store/websites")
        _, groups = api.call("GET", "customerGroups/search", search_criteria([], None, 100))
        percent = code.kind == RewardKind.PERCENT
        rule = {
            "name": name,
            "description": "Paylink",
            "website_ids": [w["id"] for w in websites or [] if int(w["id"]) != 0],
            "customer_group_ids": [g["id"] for g in (groups or {}).get("items") or []],
            "from_date": code.starts_at.date().isoformat(),
            "to_date": code.ends_at.date().isoformat(),
            "uses_per_customer": 1,
            "is_active": True,
            "stop_rules_processing": False,
            "is_advanced": True,
            "sort_order": 0,
            "simple_action": "by_percent" if percent else "cart_fixed",
            "discount_amount": code.value if percent else float(code.amount.to_decimal()),
            "discount_step": 0,
            "apply_to_shipping": False,
            "times_used": 0,
            "is_rss": False,
            "coupon_type": "SPECIFIC_COUPON",
            "use_auto_generation": True,
            "uses_per_coupon": 1,
        }
        _, made = api.call("POST", "salesRules", body={"rule": rule})
        return int(made["rule_id"])

    def create_order_from_cart(
        self, store: StoreRef, cart: CartToOrder, invoice: InvoiceForStore
    ) -> CartOrderOutcome:
        """The quote is placed with the module's "Pay by link" method (its addresses and
        shipping method must be on it, as the customer left them at checkout), then invoiced;
        a quote placed meanwhile is not placed again, and an order whose total differs from what
        was paid is left for the merchant with both amounts."""
        api = self.api(store)
        quote_id = int(json.loads(cart.body)["quote"]["id"])
        try:
            order_ref = cart.created_ref
            if order_ref is None:
                _, quote = api.call("GET", f"carts/{quote_id}")
                if not (quote or {}).get("is_active", False):
                    return CartOrderOutcome(
                        f"cart {quote_id} was already ordered in the store: no second order "
                        "made, refund one payment"
                    )
                _, placed = api.call(
                    "PUT",
                    f"carts/{quote_id}/order",
                    body={"paymentMethod": {"method": PAYLINK_METHOD}},
                )
                order_ref = str(int(placed))
                cart.keep_created(order_ref)
            _, order = api.call("GET", f"orders/{order_ref}")
            total = amount(order["grand_total"], str(order["order_currency_code"]))
            if total != invoice.amount_paid:
                return CartOrderOutcome(
                    f"order {order['increment_id']} totals {total} but the customer paid "
                    f"{invoice.amount_paid}: left unpaid for you to check"
                )
            self._invoice_order(api, order)
            self._comment(api, order, invoice)
        except MagentoRefused as refused:
            return CartOrderOutcome(refused.message)
        return CartOrderOutcome(f"order {order['increment_id']} made in the store, paid", order_ref)

    def embedded_sign_in(self, host: StoreHost, request: Request) -> EmbeddedSignIn | None:
        return None  # Magento's admin does not frame apps
