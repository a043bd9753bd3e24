"""The Shopify connector as the core sees it (core/connector.py): built when the app's client id
and secret are set; its routes, what its deliveries mean (deliveries.py), and the calls that
push payments and recovered carts back to the shop through the Admin GraphQL API."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar

from flask import Blueprint, Request

from connectors.shopify import embedded, graphql
from connectors.shopify.app_credentials import ShopifyApp
from connectors.shopify.checkouts import checkout_invoice, draft_order_input, draft_tags
from connectors.shopify.deliveries import DEFAULT_INVOICE_GATEWAYS, delivery_changes
from connectors.shopify.graphql import ShopifyAdmin
from connectors.shopify.web import create_shopify_blueprint
from core.connector import ConnectForm, EmbeddedSignIn, StoreHost
from core.early_payer_reward import DiscountCode, RewardKind
from core.errors import AccessRevoked, StoreRefused, Throttled
from core.events import InvoiceRequested
from core.http import http_session
from core.links import payment_url
from core.money import Money
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


class ShopifyConnector:
    platform: ClassVar[str] = "shopify"
    connect_form: ClassVar[ConnectForm] = ConnectForm(
        platform_name="Shopify",
        endpoint="shopify.install",
        field="shop",
        title={"fr": "Connecter une boutique Shopify", "en": "Connect a Shopify store"},
        label={
            "fr": "Adresse de la boutique (.myshopify.com)",
            "en": "Store address (.myshopify.com)",
        },
        placeholder="boutique.myshopify.com",
    )
    #: Shopify retries a failed delivery 8 times over 4 hours: its webhooks are not polled.
    polls: ClassVar[bool] = False
    invoice_gateways: ClassVar[tuple[str, ...]] = DEFAULT_INVOICE_GATEWAYS

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session = http_session()

    @classmethod
    def from_settings(cls, settings: Settings) -> ShopifyConnector | None:
        if ShopifyApp.of(settings) is None:
            return None
        return cls(settings)

    def admin(self, store: StoreRef) -> ShopifyAdmin:
        token = str(store.credentials.get("access_token", ""))
        if not token:
            raise AccessRevoked(f"{store.domain} has no access token: reinstall the app")
        return ShopifyAdmin(
            store.domain,
            token,
            self.session,
            self.settings.provider_api_bases.get("shopify"),
        )

    def blueprint(self, host: StoreHost) -> Blueprint:
        return create_shopify_blueprint(self.settings, host)

    def read_delivery(self, store: StoreRef, delivery: Delivery) -> Sequence[StoreChange]:
        return delivery_changes(store, delivery)

    def setup_store(self, store: StoreRef) -> SetupOutcome:
        return SetupOutcome(
            "nothing to set up: the webhooks are declared in shopify.app.toml", True
        )

    def poll(self, store: StoreRef, since: datetime) -> Iterator[PolledRecord]:
        """Shopify retries a failed delivery for 4 hours: its stores are not polled."""
        return iter(())

    def embedded_sign_in(self, host: StoreHost, request: Request) -> EmbeddedSignIn | None:
        return embedded.sign_in(host, self.settings, request)

    def cart_invoice(self, store: StoreRef, body: str) -> InvoiceRequested | None:
        return checkout_invoice(body, store.id)

    def create_order_from_cart(
        self, store: StoreRef, cart: CartToOrder, invoice: InvoiceForStore
    ) -> CartOrderOutcome:
        """A draft order from the checkout, then completed (Shopify marks it paid), so the
        merchant sees a real paid order. The draft's id is kept as soon as it exists, and a
        draft made by an attempt that crashed before keeping it is found by its tag; a draft
        whose total differs from what the customer paid is left for the merchant to check."""
        admin = self.admin(store)
        link = payment_url(self.settings.base_url, invoice.link_code)
        if cart.created_ref:
            draft = admin.execute(graphql.DRAFT_ORDER_STATE, {"id": cart.created_ref})["draftOrder"]
        else:
            tag = draft_tags(invoice.number)[-1]
            found = admin.execute(graphql.DRAFT_ORDERS_TAGGED, {"query": f"tag:'{tag}'"})
            nodes = found["draftOrders"]["nodes"]
            draft = nodes[0] if nodes else None
            if draft is None:
                made = admin.execute(
                    graphql.DRAFT_ORDER_CREATE,
                    {"input": draft_order_input(cart.body, invoice.number, link)},
                )["draftOrderCreate"]
                if made.get("userErrors") or not made.get("draftOrder"):
                    return CartOrderOutcome(_outcome("draft order", made))
                draft = made["draftOrder"]
            cart.keep_created(draft["id"])
        if draft is None:
            return CartOrderOutcome(
                f"draft order {cart.created_ref} is gone from the store: no order made"
            )
        if draft.get("order"):
            return CartOrderOutcome(
                f"order {draft['order']['name']} made from draft {draft['name']}",
                draft["order"]["id"],
            )
        if not draft.get("ready"):
            raise Throttled(f"draft order {draft['name']} is still being calculated", 2.0)
        amount = draft["totalPriceSet"]["presentmentMoney"]
        shopify_total = Money.parse(str(amount["amount"]), str(amount["currencyCode"]))
        paid = invoice.amount_paid
        if shopify_total != paid:
            return CartOrderOutcome(
                f"draft order {draft['name']} totals {shopify_total} but the customer paid "
                f"{paid}: left as a draft for you to check"
            )
        completed = admin.execute(graphql.DRAFT_ORDER_COMPLETE, {"id": draft["id"]})[
            "draftOrderComplete"
        ]
        order = (completed.get("draftOrder") or {}).get("order")
        if completed.get("userErrors") or not order:
            return CartOrderOutcome(_outcome("draft order completion", completed))
        return CartOrderOutcome(
            f"order {order['name']} made from draft {draft['name']}, paid", order["id"]
        )

    def push_payment(self, store: StoreRef, invoice: InvoiceForStore) -> str:
        """A paid invoice marks its order paid (when Shopify says it can be), tags it and
        notes the invoice on it; a partly paid one gets the note and a tag. Each step is
        idempotent, so a retry after a crash repeats nothing harmful."""
        admin = self.admin(store)
        order_id = f"gid://shopify/Order/{invoice.external_id}"
        link = payment_url(self.settings.base_url, invoice.link_code)
        done = []
        if invoice.paid:
            order = admin.execute(graphql.ORDER_PAYMENT_STATE, {"id": order_id}).get("order")
            if order is None:
                return "order not found in the store"
            if order.get("canMarkAsPaid"):
                marked = admin.execute(graphql.ORDER_MARK_AS_PAID, {"input": {"id": order_id}})
                done.append(_outcome("marked paid", marked["orderMarkAsPaid"]))
            else:
                done.append(f"not marked paid (Shopify: {order.get('displayFinancialStatus')})")
        tag = "paylink-paid" if invoice.paid else "paylink-partly-paid"
        tagged = admin.execute(graphql.TAGS_ADD, {"id": order_id, "tags": ["paylink", tag]})
        done.append(_outcome("tagged", tagged["tagsAdd"]))
        metafields = [
            _metafield(order_id, "invoice_number", invoice.number, "single_line_text_field"),
            _metafield(order_id, "payment_link", link, "url"),
            _metafield(order_id, "amount_paid", str(invoice.amount_paid.minor), "number_integer"),
        ]
        noted = admin.execute(graphql.METAFIELDS_SET, {"metafields": metafields})
        done.append(_outcome("noted", noted["metafieldsSet"]))
        return "; ".join(done)

    def create_discount_code(self, store: StoreRef, code: DiscountCode, title: str) -> str:
        """A basic code discount for one use, on the whole next order, in the shop's own
        discounts list; a code the shop has already (a retry) is returned, not made again."""
        granted = str(store.credentials.get("scope", ""))
        if granted and "write_discounts" not in granted.split(","):
            raise StoreRefused(
                f"{store.domain} did not grant Paylink discounts: open the app again to approve"
            )
        admin = self.admin(store)
        found = admin.execute(graphql.DISCOUNT_BY_CODE, {"code": code.code})
        if found.get("codeDiscountNodeByCode"):
            return str(found["codeDiscountNodeByCode"]["id"])
        made = admin.execute(
            graphql.DISCOUNT_CODE_CREATE, {"discount": discount_input(code, title)}
        )["discountCodeBasicCreate"]
        if made.get("userErrors") or not made.get("codeDiscountNode"):
            raise StoreRefused(_outcome("discount code", made))
        return str(made["codeDiscountNode"]["id"])


def discount_input(code: DiscountCode, title: str) -> dict[str, Any]:
    """`DiscountCodeBasicInput`: everyone may use it, once in all, on any product."""
    value: dict[str, Any] = (
        {"percentage": code.value / 100}
        if code.kind == RewardKind.PERCENT
        else {
            "discountAmount": {"amount": code.amount.to_major_string(), "appliesOnEachItem": False}
        }
    )
    return {
        "title": title,
        "code": code.code,
        "startsAt": code.starts_at.isoformat(),
        "endsAt": code.ends_at.isoformat(),
        "usageLimit": 1,
        "appliesOncePerCustomer": True,
        "customerSelection": {"all": True},
        "customerGets": {"value": value, "items": {"all": True}},
    }


def _metafield(owner: str, key: str, value: str, kind: str) -> dict[str, str]:
    return {"ownerId": owner, "namespace": "paylink", "key": key, "value": value, "type": kind}


def _outcome(action: str, payload: dict[str, Any]) -> str:
    """What a mutation did; its userErrors are kept, word for word, for the timeline."""
    errors = payload.get("userErrors") or []
    if not errors:
        return action
    return f"{action} refused: " + "; ".join(str(e.get("message")) for e in errors)
