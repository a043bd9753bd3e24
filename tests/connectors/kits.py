"""What the connector contract suite (test_connector_contract.py) needs of each platform: how to
connect a store, a fake of the platform's API, signed deliveries as the platform sends them,
the deliveries it documents with the changes each must mean, and an order to push a payment
to. A new platform adds one kit here and passes the same suite."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from connectors import signed_events
from connectors.magento.mapping import order_invoice as mg_order_invoice
from connectors.prestashop.mapping import Buyer
from connectors.prestashop.mapping import order_invoice as ps_order_invoice
from connectors.shopify.mapping import order_invoice as shopify_order_invoice
from connectors.woocommerce.mapping import order_invoice as woo_order_invoice
from core.events import CartSeen, InvoiceRequested, SourceKind
from core.services.accounts import connect_store
from core.services.context import ServiceContext
from core.storage.models import Store
from core.store_changes import (
    CartOrdered,
    CustomerDataRequested,
    CustomerErased,
    Ignored,
    OrderSettled,
    ShopErased,
    StoreUninstalled,
)
from tests.support.fake_magento import CONSUMER_SECRET as MG_SECRET
from tests.support.fake_magento import FakeMagento, magento_credentials, mg_order
from tests.support.fake_prestashop import KEY as PS_KEY
from tests.support.fake_prestashop import SHOP_SECRET as PS_SECRET
from tests.support.fake_prestashop import FakePrestaShop, cart_event, ps_order
from tests.support.fake_shopify import GRAPHQL, FakeShop, webhook_headers
from tests.support.fake_woocommerce import (
    KEY,
    SECRET,
    FakeWooCommerce,
    delivery_headers,
    woo_order,
    wp_json_encode,
)
from tests.support.shopify_reference import abandoned_checkout, admin_schema, unpaid_order

SHOPIFY_SECRET = "shpss_0123456789abcdef0123456789abcdef"
WOO_WEBHOOK_SECRET = "s3cr3tW3bh00kS3cr3tW3bh00kS3cr3tW3bh00kAbCdEf12"


@dataclass(frozen=True)
class KitDelivery:
    """A delivery the platform documents, and the kinds of change it must mean, in order."""

    name: str
    topic: str
    payload: Any
    means: tuple[type, ...]


class ConnectorKit:
    platform: str
    #: The settings' environment that makes the connector available.
    environ: ClassVar[dict[str, str]] = {}
    #: An event the platform can send that Paylink does not subscribe to.
    unknown_topic: str
    #: Topics whose body Paylink reads (a malformed body must be `Unusable`).
    read_topics: tuple[str, ...]

    def connect(self, ctx: ServiceContext, merchant_id: int, base_url: str) -> Store:
        raise NotImplementedError

    def fake(self, httpserver: Any) -> Any:
        """The platform's API for one store, on the test's HTTP server."""
        raise NotImplementedError

    def deliveries(self) -> list[KitDelivery]:
        raise NotImplementedError

    def encode(self, payload: Any) -> bytes:
        return json.dumps(payload).encode()

    def hold(self, fake: Any, payload: Any) -> None:
        """Make the fake store hold the delivery's resource (platforms re-read it)."""

    def signed(
        self,
        store: Store,
        topic: str,
        body: bytes,
        event_id: str,
        now: datetime,
        secret: str | None = None,
    ) -> tuple[str, dict[str, str]]:
        """The URL and headers of a delivery signed as the platform signs it at `now` (with
        another secret when given)."""
        raise NotImplementedError

    def order_to_push(self, fake: Any, store: Store) -> InvoiceRequested:
        """An unpaid order in the store, as the invoice request it made."""
        raise NotImplementedError

    def store_state(self, fake: Any) -> Hashable:
        """What the store holds about the order after pushes, to compare."""
        raise NotImplementedError


class ShopifyKit(ConnectorKit):
    platform = "shopify"
    environ: ClassVar[dict[str, str]] = {
        "PAYLINK_SHOPIFY_CLIENT_ID": "client-id",
        "PAYLINK_SHOPIFY_CLIENT_SECRETS": SHOPIFY_SECRET,
    }
    unknown_topic = "products/update"
    read_topics = (
        "orders/create",
        "checkouts/create",
        "checkouts/update",
        "customers/redact",
        "customers/data_request",
    )

    def connect(self, ctx: ServiceContext, merchant_id: int, base_url: str) -> Store:
        return connect_store(
            ctx, merchant_id, "shopify", "lune.myshopify.com", {"access_token": "shpat_x"}
        )

    def fake(self, httpserver: Any) -> FakeShop:
        shop = FakeShop(admin_schema())
        httpserver.expect_request(GRAPHQL, method="POST").respond_with_handler(shop)
        return shop

    def deliveries(self) -> list[KitDelivery]:
        customer = {"id": 207119551, "email": "bob.norman@mail.example.com", "phone": None}
        return [
            KitDelivery(
                "unpaid order", "orders/create", unpaid_order(), (CartOrdered, InvoiceRequested)
            ),
            KitDelivery(
                "order paid by card",
                "orders/create",
                unpaid_order(financial_status="paid", payment_gateway_names=["shopify_payments"]),
                (CartOrdered, Ignored),
            ),
            KitDelivery(
                "abandoned checkout", "checkouts/create", abandoned_checkout(), (CartSeen,)
            ),
            KitDelivery(
                "app uninstalled", "app/uninstalled", {"id": 548380009}, (StoreUninstalled,)
            ),
            KitDelivery(
                "customer erased",
                "customers/redact",
                {"shop_id": 954889, "customer": customer, "orders_to_redact": [450789469]},
                (CustomerErased,),
            ),
            KitDelivery(
                "customer data request",
                "customers/data_request",
                {
                    "shop_id": 954889,
                    "customer": customer,
                    "orders_requested": [450789469],
                    "data_request": {"id": 9999},
                },
                (CustomerDataRequested,),
            ),
            KitDelivery("shop erased", "shop/redact", {"shop_id": 954889}, (ShopErased,)),
        ]

    def signed(
        self,
        store: Store,
        topic: str,
        body: bytes,
        event_id: str,
        now: datetime,
        secret: str | None = None,
    ) -> tuple[str, dict[str, str]]:
        headers = webhook_headers(
            body,
            secret or SHOPIFY_SECRET,
            topic,
            event_id,
            shop=store.domain,
            triggered_at="2026-03-02T09:30:00.000Z",
        )
        return "/connectors/shopify/webhooks", headers

    def order_to_push(self, fake: FakeShop, store: Store) -> InvoiceRequested:
        request = shopify_order_invoice(unpaid_order(), store.id, ["Paylink"])
        assert request is not None
        return request

    def store_state(self, fake: FakeShop) -> Hashable:
        marked = sum(name == "OrderMarkAsPaid" for name, _ in fake.received)
        return marked, fake.order_paid, frozenset(fake.tags), frozenset(fake.metafields.items())


class WooCommerceKit(ConnectorKit):
    platform = "woocommerce"
    unknown_topic = "product.created"
    read_topics = ("order.created", "order.updated", "order.deleted", "order.restored")

    def connect(self, ctx: ServiceContext, merchant_id: int, base_url: str) -> Store:
        return connect_store(
            ctx,
            merchant_id,
            "woocommerce",
            base_url.split("://", 1)[1],
            {
                "store_url": base_url,
                "consumer_key": KEY,
                "consumer_secret": SECRET,
                "webhook_secret": WOO_WEBHOOK_SECRET,
            },
        )

    def fake(self, httpserver: Any) -> FakeWooCommerce:
        return FakeWooCommerce(httpserver)

    def deliveries(self) -> list[KitDelivery]:
        return [
            KitDelivery(
                "order awaiting a transfer",
                "order.created",
                woo_order(),
                (CartOrdered, InvoiceRequested),
            ),
            KitDelivery(
                "checkout left unpaid by card",
                "order.created",
                woo_order(id=728, status="pending", payment_method="stripe"),
                (CartSeen,),
            ),
            KitDelivery(
                "order paid in the store",
                "order.updated",
                woo_order(id=729, status="processing"),
                (OrderSettled,),
            ),
            KitDelivery(
                "order cancelled",
                "order.updated",
                woo_order(id=730, status="cancelled"),
                (OrderSettled,),
            ),
            KitDelivery(
                "draft order",
                "order.created",
                woo_order(id=731, status="checkout-draft"),
                (Ignored,),
            ),
        ]

    def encode(self, payload: Any) -> bytes:
        return wp_json_encode(payload)

    def hold(self, fake: FakeWooCommerce, payload: Any) -> None:
        fake.add(payload)

    def signed(
        self,
        store: Store,
        topic: str,
        body: bytes,
        event_id: str,
        now: datetime,
        secret: str | None = None,
    ) -> tuple[str, dict[str, str]]:
        headers = delivery_headers(body, secret or WOO_WEBHOOK_SECRET, topic)
        return f"/connectors/woocommerce/webhooks/{store.id}", headers

    def order_to_push(self, fake: FakeWooCommerce, store: Store) -> InvoiceRequested:
        order = fake.add(woo_order())
        return woo_order_invoice(order, store.id, SourceKind.ORDER)

    def store_state(self, fake: FakeWooCommerce) -> Hashable:
        order = fake.orders[727]
        notes = tuple(note["note"] for note in fake.notes.get(727, []))
        updates = sum(method == "PUT" for method, _, _ in fake.received)
        return updates, order["status"], order["transaction_id"], notes


class PrestaShopKit(ConnectorKit):
    platform = "prestashop"
    unknown_topic = "product.saved"
    read_topics = ("order.validated", "order.status", "cart.saved")
    orders: ClassVar[dict[int, dict[str, Any]]] = {
        42: ps_order(),
        43: ps_order(id=43, id_cart="78", valid="1", current_state="2"),
        44: ps_order(id=44, id_cart="79", current_state="6"),
        45: ps_order(id=45, id_cart="80", module="ps_checkpayment", current_state="1"),
    }

    def connect(self, ctx: ServiceContext, merchant_id: int, base_url: str) -> Store:
        return connect_store(
            ctx,
            merchant_id,
            "prestashop",
            base_url.split("://", 1)[1],
            {
                "shop_url": base_url,
                "webservice_key": PS_KEY,
                "signing_secret": PS_SECRET,
                "pairing_nonce": "n0",
            },
        )

    def fake(self, httpserver: Any) -> FakePrestaShop:
        return FakePrestaShop(httpserver)

    def deliveries(self) -> list[KitDelivery]:
        def order(topic: str, order_id: int) -> dict[str, Any]:
            return {"event": topic, "id_order": order_id, "id_cart": 77}

        return [
            KitDelivery(
                "order awaiting Paylink payment",
                "order.validated",
                order("order.validated", 42),
                (CartOrdered, InvoiceRequested),
            ),
            KitDelivery(
                "order paid in the shop",
                "order.status",
                order("order.status", 43),
                (CartOrdered, OrderSettled),
            ),
            KitDelivery(
                "order cancelled",
                "order.status",
                order("order.status", 44),
                (CartOrdered, OrderSettled),
            ),
            KitDelivery(
                "order paid by cheque",
                "order.validated",
                order("order.validated", 45),
                (CartOrdered, Ignored),
            ),
            KitDelivery("cart saved", "cart.saved", cart_event(id_cart=90), (CartSeen,)),
            KitDelivery(
                "shop disconnected",
                "shop.disconnected",
                {"event": "shop.disconnected"},
                (StoreUninstalled,),
            ),
        ]

    def hold(self, fake: FakePrestaShop, payload: Any) -> None:
        if "id_order" in payload:
            fake.add(self.orders[payload["id_order"]])

    def signed(
        self,
        store: Store,
        topic: str,
        body: bytes,
        event_id: str,
        now: datetime,
        secret: str | None = None,
    ) -> tuple[str, dict[str, str]]:
        headers = signed_events.signed_headers(secret or PS_SECRET, now, body)
        headers[signed_events.EVENT_HEADER] = event_id
        return f"/connectors/prestashop/events/{store.id}", headers

    def order_to_push(self, fake: FakePrestaShop, store: Store) -> InvoiceRequested:
        order = fake.add(ps_order())
        buyer = Buyer("Marie Curie", "marie@example.fr", "06 12 34 56 78", "FR", "fr", "EUR")
        return ps_order_invoice(order, buyer, store.id)

    def store_state(self, fake: FakePrestaShop) -> Hashable:
        order = fake.orders[42]
        payments = tuple((p["amount"], p["transaction_id"]) for p in fake.payments)
        notes = tuple(m["message"] for m in fake.messages)
        return len(fake.histories), order["current_state"], order["valid"], payments, notes


class MagentoKit(ConnectorKit):
    platform = "magento"
    unknown_topic = "customer.saved"
    read_topics = ("order.placed", "order.saved")
    orders: ClassVar[dict[int, dict[str, Any]]] = {
        42: mg_order(),
        43: mg_order(entity_id=43, quote_id=78, state="processing", total_due=0, total_paid=40.9),
        44: mg_order(entity_id=44, quote_id=79, state="canceled"),
        45: mg_order(entity_id=45, quote_id=80, payment={"method": "checkmo"}),
    }

    def connect(self, ctx: ServiceContext, merchant_id: int, base_url: str) -> Store:
        return connect_store(
            ctx, merchant_id, "magento", base_url.split("://", 1)[1], magento_credentials(base_url)
        )

    def fake(self, httpserver: Any) -> FakeMagento:
        return FakeMagento(httpserver)

    def deliveries(self) -> list[KitDelivery]:
        def order(topic: str, order_id: int) -> dict[str, Any]:
            return {"event": topic, "order_id": order_id}

        return [
            KitDelivery(
                "order placed with Pay by link",
                "order.placed",
                order("order.placed", 42),
                (CartOrdered, InvoiceRequested),
            ),
            KitDelivery(
                "order invoiced in the store",
                "order.saved",
                order("order.saved", 43),
                (CartOrdered, OrderSettled),
            ),
            KitDelivery(
                "order cancelled",
                "order.saved",
                order("order.saved", 44),
                (CartOrdered, OrderSettled),
            ),
            KitDelivery(
                "order paid by check",
                "order.placed",
                order("order.placed", 45),
                (CartOrdered, Ignored),
            ),
        ]

    def hold(self, fake: FakeMagento, payload: Any) -> None:
        fake.add(self.orders[payload["order_id"]])

    def signed(
        self,
        store: Store,
        topic: str,
        body: bytes,
        event_id: str,
        now: datetime,
        secret: str | None = None,
    ) -> tuple[str, dict[str, str]]:
        headers = signed_events.signed_headers(secret or MG_SECRET, now, body)
        headers[signed_events.EVENT_HEADER] = event_id
        headers["X-Paylink-Store"] = store.domain
        return "/connectors/magento/events", headers

    def order_to_push(self, fake: FakeMagento, store: Store) -> InvoiceRequested:
        return mg_order_invoice(fake.add(mg_order()), store.id)

    def store_state(self, fake: FakeMagento) -> Hashable:
        order = fake.orders[42]
        notes = tuple(c["comment"] for c in fake.comments.get(42, []))
        return len(fake.invoices), order["state"], order["total_due"], notes


KITS: dict[str, Callable[[], ConnectorKit]] = {
    "shopify": ShopifyKit,
    "woocommerce": WooCommerceKit,
    "prestashop": PrestaShopKit,
    "magento": MagentoKit,
}
