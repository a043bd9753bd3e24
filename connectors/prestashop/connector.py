"""The PrestaShop connector as the core sees it (core/connector.py). Always offered: each shop
pairs itself through the Paylink module (module/paylink), so no app credentials are needed.

Every order event is read from the order as the shop has it *now* (the Webservice), not from
the module's event: events can be resent, arrive out of order, or be missed (a shop whose
module could not reach Paylink for a while), and the poller reads the same orders the same way.
Carts are the module's signed snapshot (PrestaShop computes their prices); whether a cart
became an order is read again from the shop.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests
from flask import Blueprint, Request

from connectors import signed_events
from connectors.prestashop.mapping import (
    DEFAULT_INVOICE_MODULES,
    Buyer,
    OrderState,
    ShopStates,
    amount_text,
    cart_invoice,
    cart_seen,
    in_language,
    order_changes,
    order_state,
)
from connectors.prestashop.web import create_prestashop_blueprint
from connectors.prestashop.webservice import PrestaShopWebservice, WebserviceRefused, listed
from core.connector import ConnectForm, EmbeddedSignIn, StoreHost
from core.early_payer_reward import DiscountCode, RewardKind
from core.errors import MALFORMED_PAYLOAD, AccessRevoked, OutsideServiceFailed, StoreRefused
from core.events import InvoiceRequested
from core.http import response_excerpt, store_session, unless_not_granted
from core.links import payment_url
from core.settings import Settings
from core.store_changes import (
    CartOrdered,
    CartOrderOutcome,
    CartToOrder,
    Delivery,
    Ignored,
    InvoiceForStore,
    PolledRecord,
    SetupOutcome,
    StoreChange,
    StoreRef,
    StoreUninstalled,
    Unusable,
)

POLL_PAGE = 50
#: The Webservice filters dates in the shop's own time zone, which Paylink does not know: a
#: poll reads from this much earlier (the widest UTC offset), and applying twice is harmless.
ZONE_MARGIN = timedelta(hours=14)
STATE_KEYS = ("PS_OS_PAYMENT", "PS_OS_CANCELED", "PS_OS_REFUND", "PS_OS_ERROR")
PAYMENT_METHOD = "Paylink"
ORDER_EVENTS = ("order.validated", "order.status")
#: What the module sends; "unreadable" is what the receiver calls a signed body it cannot read.
KNOWN_EVENTS = (*ORDER_EVENTS, "cart.saved", "shop.disconnected", signed_events.UNREADABLE)
#: The element naming one item of a resource in the Webservice's answers.
ONE_OF = {
    "customers": "customer",
    "addresses": "address",
    "countries": "country",
    "currencies": "currency",
    "languages": "language",
    "groups": "group",
}


class PrestaShopConnector:
    platform: ClassVar[str] = "prestashop"
    connect_form: ClassVar[ConnectForm] = ConnectForm(
        platform_name="PrestaShop",
        endpoint="prestashop.install",
        field="shop_url",
        title={"fr": "Connecter une boutique PrestaShop", "en": "Connect a PrestaShop shop"},
        label={"fr": "Adresse de la boutique", "en": "Shop address"},
        placeholder="https://boutique.example",
    )
    #: The module cannot send while Paylink is unreachable for long: orders are polled too.
    polls: ClassVar[bool] = True
    invoice_gateways: ClassVar[tuple[str, ...]] = DEFAULT_INVOICE_MODULES

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session = store_session(20.0, settings.allow_private_stores)

    @classmethod
    def from_settings(cls, settings: Settings) -> PrestaShopConnector:
        return cls(settings)

    def blueprint(self, host: StoreHost) -> Blueprint:
        return create_prestashop_blueprint(self.settings, host)

    def webservice(self, store: StoreRef) -> PrestaShopWebservice:
        key = str(store.credentials.get("webservice_key", ""))
        if not key:
            raise AccessRevoked(f"{store.domain} has no Webservice key: connect it again")
        return PrestaShopWebservice(
            str(store.credentials["shop_url"]),
            key,
            self.session,
            self.settings.allow_private_stores,
        )

    def configuration(self, api: PrestaShopWebservice, names: Sequence[str]) -> dict[str, str]:
        """Values of the shop's configuration, by name (those it has)."""
        _, data = api.get(
            "configurations", {"filter[name]": f"[{'|'.join(names)}]", "display": "[name,value]"}
        )
        return {row["name"]: str(row["value"]) for row in listed(data, "configurations")}

    def states(self, api: PrestaShopWebservice) -> ShopStates:
        """The shop's order-state ids, from its configuration."""
        found = {name: int(value) for name, value in self.configuration(api, STATE_KEYS).items()}
        if "PS_OS_PAYMENT" not in found:
            raise OutsideServiceFailed("the shop's configuration has no PS_OS_PAYMENT state")
        closed = {found[name] for name in STATE_KEYS[1:] if name in found}
        return ShopStates(found["PS_OS_PAYMENT"], frozenset(closed))

    # From the shop ------------------------------------------------------------------------

    def read_delivery(self, store: StoreRef, delivery: Delivery) -> Sequence[StoreChange]:
        if delivery.topic not in KNOWN_EVENTS:
            return (Ignored(f"ignored ({delivery.topic})"),)
        try:
            event = json.loads(delivery.body)
            if not isinstance(event, dict) or event.get("event") != delivery.topic:
                raise ValueError("not an event of the Paylink module")
            if delivery.topic in ORDER_EVENTS:
                order_id = int(event["id_order"])
            elif delivery.topic == "cart.saved":
                snapshot = event["cart"]
                seen = cart_seen(snapshot, delivery.body)
        except MALFORMED_PAYLOAD as error:
            return (Unusable(f"{delivery.topic} not usable: {error}"),)
        if delivery.topic == "shop.disconnected":
            return (StoreUninstalled(),)
        if delivery.topic == "cart.saved":
            order = self._order_of_cart(store, int(snapshot["id_cart"]))
            return (CartOrdered(seen.token, order),) if order else (seen,)
        api = self.webservice(store)
        status, data = api.get(f"orders/{order_id}")
        if status == 404:
            return (Ignored(f"order {order_id} is no longer in the shop"),)
        return self._order_changes(store, api, self.states(api), data["order"])

    def _order_of_cart(self, store: StoreRef, id_cart: int) -> str | None:
        _, data = self.webservice(store).get(
            "orders", {"filter[id_cart]": f"[{id_cart}]", "display": "[id]"}
        )
        orders = listed(data, "orders")
        return str(orders[0]["id"]) if orders else None

    def _order_changes(
        self, store: StoreRef, api: PrestaShopWebservice, states: ShopStates, order: dict[str, Any]
    ) -> tuple[StoreChange, ...]:
        modules = store.invoice_gateways or DEFAULT_INVOICE_MODULES
        buyer = None
        if order_state(order, modules, states) == OrderState.INVOICE:
            buyer = self._buyer(api, order)
        return order_changes(order, buyer, store.id, modules, states)

    def _buyer(self, api: PrestaShopWebservice, order: dict[str, Any]) -> Buyer | None:
        """The order's customer, invoice address, currency and language, read from the shop."""

        def one(resource: str, item_id: Any) -> dict[str, Any]:
            status, data = api.get(f"{resource}/{int(item_id)}")
            return dict((data or {}).get(ONE_OF[resource]) or {}) if status == 200 else {}

        customer = one("customers", order["id_customer"])
        address = one("addresses", order["id_address_invoice"])
        country = one("countries", address["id_country"]) if address.get("id_country") else {}
        currency = one("currencies", order["id_currency"])
        language = one("languages", order["id_lang"])
        if not currency.get("iso_code"):
            return None
        name = " ".join(p for p in (customer.get("firstname"), customer.get("lastname")) if p)
        shop_currency = None
        if Decimal(str(order.get("conversion_rate") or "1")) != 1:  # not the default currency
            default = self.configuration(api, ("PS_CURRENCY_DEFAULT",)).get("PS_CURRENCY_DEFAULT")
            shop_currency = one("currencies", default).get("iso_code") if default else None
        return Buyer(
            name=name,
            email=customer.get("email") or None,
            phone=address.get("phone_mobile") or address.get("phone") or None,
            country=country.get("iso_code") or None,
            locale=language.get("iso_code") or None,
            currency=str(currency["iso_code"]),
            shop_currency=str(shop_currency) if shop_currency else None,
            tags=self._group(one, customer.get("id_default_group"), order.get("id_lang")),
        )

    @staticmethod
    def _group(one: Any, group_id: Any, language_id: Any) -> tuple[str, ...]:
        """The customer's default group by its name, for billing rules. A module before 1.2.0
        did not let the key read groups (401 right after the customer was read): no tag."""
        if not group_id or not str(group_id).isdigit():
            return ()
        try:
            group = one("groups", group_id)
        except AccessRevoked:
            return ()
        name = in_language(group.get("name"), language_id).strip()
        return (name,) if name else ()

    def poll(self, store: StoreRef, since: datetime) -> Iterator[PolledRecord]:
        """Orders the shop changed since `since` (what the module could not send)."""
        api = self.webservice(store)
        states = self.states(api)
        start = (since - ZONE_MARGIN).strftime("%Y-%m-%d %H:%M:%S")
        offset = 0
        while True:
            _, data = api.get(
                "orders",
                {
                    "filter[date_upd]": f"[{start},9999-12-31 23:59:59]",
                    "date": "1",
                    "display": "full",
                    "sort": "[id_ASC]",
                    "limit": f"{offset},{POLL_PAGE}",
                },
            )
            orders = listed(data, "orders")
            for order in orders:
                yield PolledRecord(
                    f"order {order.get('id')}", self._order_changes(store, api, states, order)
                )
            if len(orders) < POLL_PAGE:
                return
            offset += POLL_PAGE

    def cart_invoice(self, store: StoreRef, body: str) -> InvoiceRequested | None:
        return cart_invoice(json.loads(body)["cart"], store.id)

    # Back to the shop ---------------------------------------------------------------------

    def setup_store(self, store: StoreRef) -> SetupOutcome:
        """The module sends the events; here the Webservice key is tried (it must read the
        shop's configuration, as every later call needs)."""
        states = self.states(self.webservice(store))
        return SetupOutcome(f"Webservice key works (paid state {states.payment})", True)

    def push_payment(self, store: StoreRef, invoice: InvoiceForStore) -> str:
        """Paid in full: the order moves to the shop's "Payment accepted" state (PrestaShop then
        records the payment itself, as for a payment taken in its back office), and that
        payment gets the provider's transaction id. Partly paid: a private message only. One
        private message on the order with the invoice and its link. Each step looks before it
        writes, so a second push writes nothing."""
        api = self.webservice(store)
        order_id = int(str(invoice.external_id))
        status, data = api.get(f"orders/{order_id}")
        if status == 404:
            return f"order {order_id} not found in the shop"
        done: list[str] = []
        try:
            self._push(api, data["order"], invoice, done)
        except WebserviceRefused as refused:
            done.append(refused.message)
        return "; ".join(part for part in done if part)

    def _push(
        self,
        api: PrestaShopWebservice,
        order: dict[str, Any],
        invoice: InvoiceForStore,
        done: list[str],
    ) -> None:
        order_id = int(order["id"])
        if invoice.paid:
            states = self.states(api)
            if str(order.get("valid")) == "1" or int(order["current_state"]) == states.payment:
                done.append("already paid in the shop")
            else:
                api.create(
                    "order_histories",
                    {"id_order": order_id, "id_order_state": states.payment},
                )
                done.append("marked paid")
            done.append(self._payment_reference(api, order, invoice))
        else:
            done.append("partly paid: noted")
        done.append(self._message(api, order, invoice))

    def _payment_reference(
        self, api: PrestaShopWebservice, order: dict[str, Any], invoice: InvoiceForStore
    ) -> str:
        """The provider's transaction id on the order's payment: the one PrestaShop recorded
        when the state changed, or a new payment when it recorded none."""
        _, data = api.get(
            "order_payments",
            {"filter[order_reference]": f"[{order['reference']}]", "display": "full"},
        )
        payments = listed(data, "order_payments")
        reference = invoice.payment_reference
        if any(p.get("transaction_id") == reference for p in payments):
            return ""
        fields = {
            "order_reference": order["reference"],
            "id_currency": order["id_currency"],
            "amount": amount_text(invoice.amount_paid),
            "payment_method": PAYMENT_METHOD,
            "transaction_id": reference,
            "conversion_rate": order.get("conversion_rate") or "1",
        }
        unmarked = [p for p in payments if not p.get("transaction_id")]
        if unmarked:
            api.update("order_payments", int(unmarked[-1]["id"]), {**unmarked[-1], **fields})
            return "payment referenced"
        api.create("order_payments", fields)
        return "payment recorded"

    def _message(
        self, api: PrestaShopWebservice, order: dict[str, Any], invoice: InvoiceForStore
    ) -> str:
        link = payment_url(self.settings.base_url, invoice.link_code)
        text = (
            f"Paylink: invoice {invoice.number}, {invoice.amount_paid} paid "
            f"({invoice.payment_reference}). {link}"
        )
        _, data = api.get("messages", {"filter[id_order]": f"[{order['id']}]", "display": "full"})
        if any(m.get("message") == text for m in listed(data, "messages")):
            return ""
        api.create(
            "messages",
            {
                "id_order": order["id"],
                "id_cart": order.get("id_cart") or 0,
                "id_customer": order.get("id_customer") or 0,
                "message": text,
                "private": 1,
            },
        )
        return "noted"

    def create_discount_code(self, store: StoreRef, code: DiscountCode, title: str) -> str:
        """A voucher (cart rule) for one use on the whole next order, named in the shop's
        default language, its dates in the shop's time zone; one the shop has already under
        this code (a retry) is returned, not made again."""
        api = self.webservice(store)
        _, data = unless_not_granted(
            lambda: api.get("cart_rules", {"filter[code]": f"[{code.code}]", "display": "[id]"}),
            lambda: self.states(api),
            "the shop's Paylink module is older than 1.1.0 and cannot make vouchers: update it "
            "from the shop's Modules page",
        )
        found = listed(data, "cart_rules")
        if found:
            return str(found[0]["id"])
        settings = self.configuration(api, ("PS_LANG_DEFAULT", "PS_TIMEZONE"))
        zone = ZoneInfo(settings.get("PS_TIMEZONE") or "UTC")
        fields: dict[str, Any] = {
            "name": {int(settings.get("PS_LANG_DEFAULT") or 1): title[:254]},
            "code": code.code,
            "date_from": f"{code.starts_at.astimezone(zone):%Y-%m-%d %H:%M:%S}",
            "date_to": f"{code.ends_at.astimezone(zone):%Y-%m-%d %H:%M:%S}",
            "quantity": 1,
            "quantity_per_user": 1,
            "partial_use": 0,
            "priority": 1,
            "highlight": 0,
            "active": 1,
        }
        if code.kind == RewardKind.PERCENT:
            fields["reduction_percent"] = code.value
        else:
            _, money = api.get(
                "currencies", {"filter[iso_code]": f"[{code.currency}]", "display": "[id]"}
            )
            currencies = listed(money, "currencies")
            if not currencies:
                raise StoreRefused(f"the shop has no {code.currency} currency for the voucher")
            fields.update(
                reduction_amount=amount_text(code.amount),
                reduction_tax=1,
                reduction_currency=currencies[0]["id"],
            )
        try:
            made = api.create("cart_rules", fields)
        except WebserviceRefused as refused:
            raise StoreRefused(refused.message) from None
        return str(made["id"])

    def create_order_from_cart(
        self, store: StoreRef, cart: CartToOrder, invoice: InvoiceForStore
    ) -> CartOrderOutcome:
        """The module makes the order (`validateOrder` with the paid amount and transaction id,
        so PrestaShop's own checks on totals apply); it makes none for a cart that already
        became an order."""
        snapshot = json.loads(cart.body)["cart"]
        body = json.dumps(
            {
                "id_cart": int(snapshot["id_cart"]),
                "amount": amount_text(invoice.amount_paid),
                "currency": invoice.amount_paid.currency,
                "transaction_id": invoice.payment_reference,
                "invoice": invoice.number,
            }
        ).encode()
        secret = str(store.credentials["signing_secret"])
        shop_url = str(store.credentials["shop_url"])
        try:
            response = self.session.post(
                f"{shop_url}/index.php?fc=module&module=paylink&controller=recover",
                data=body,
                headers=signed_events.signed_headers(secret, cart.now, body),
                timeout=30,
                allow_redirects=False,
            )
            answer = response.json()
        except (requests.RequestException, ValueError) as error:
            raise OutsideServiceFailed(
                f"the shop's module could not make the order: {response_excerpt(str(error))}"
            ) from None
        if response.status_code >= 400 or "id_order" not in answer:
            said = response_excerpt(str(answer.get("error") or response.status_code))
            raise OutsideServiceFailed(f"the shop's module refused the order: {said}")
        reference = str(answer.get("reference") or answer["id_order"])
        if answer.get("existing"):
            return CartOrderOutcome(
                f"the cart was already ordered in the shop ({reference}): no second order made, "
                "refund one payment"
            )
        return CartOrderOutcome(
            f"order {reference} made in the shop, paid", str(answer["id_order"])
        )

    def embedded_sign_in(self, host: StoreHost, request: Request) -> EmbeddedSignIn | None:
        return None  # PrestaShop's back office does not frame apps
