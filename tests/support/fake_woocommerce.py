"""A fake WooCommerce store on pytest-httpserver, in the formats of PLATFORMS.md section 2: the
REST API under /wp-json/wc/v3 (orders, notes, webhooks) checking each call's OAuth 1.0a
one-legged signature (plain HTTP), and webhook deliveries signed and encoded as
`WC_Webhook::deliver` sends them (`wp_json_encode`: slashes and non-ASCII escaped)."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import quote

from oauthlib.oauth1.rfc5849 import signature

from connectors.woocommerce.auth import webhook_signature
from tests.support.providers import json_answer

API = "/wp-json/wc/v3"
KEY = "ck_5b7b8e9c8f2c4e0e9d7c6b5a4f3e2d1c0b9a8f7e"
SECRET = "cs_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"


def woo_order(**changes: Any) -> dict[str, Any]:
    """An order as `GET /wp-json/wc/v3/orders/{id}` returns it (the fields of the docs'
    example), waiting for a bank transfer: 2 candles at 15,00 € + 20 % VAT, shipping 4,90 €."""
    order: dict[str, Any] = {
        "id": 727,
        "parent_id": 0,
        "number": "727",
        "order_key": "wc_order_58d2d042d1d",
        "created_via": "checkout",
        "version": "9.4.2",
        "status": "on-hold",
        "currency": "EUR",
        "date_created": "2026-03-02T10:21:45",
        "date_created_gmt": "2026-03-02T09:21:45",
        "date_modified": "2026-03-02T10:21:46",
        "date_modified_gmt": "2026-03-02T09:21:46",
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": "4.08",
        "shipping_tax": "0.82",
        "cart_tax": "6.00",
        "total": "40.90",
        "total_tax": "6.82",
        "prices_include_tax": True,
        "customer_id": 26,
        "customer_ip_address": "203.0.113.7",
        "customer_user_agent": "Mozilla/5.0",
        "customer_note": "",
        "billing": {
            "first_name": "Marie",
            "last_name": "Curie",
            "company": "",
            "address_1": "11 rue Pierre et Marie Curie",
            "address_2": "",
            "city": "Paris",
            "state": "",
            "postcode": "75005",
            "country": "FR",
            "email": "marie@example.fr",
            "phone": "06 12 34 56 78",
        },
        "shipping": {
            "first_name": "Marie",
            "last_name": "Curie",
            "company": "",
            "address_1": "11 rue Pierre et Marie Curie",
            "address_2": "",
            "city": "Paris",
            "state": "",
            "postcode": "75005",
            "country": "FR",
        },
        "payment_method": "bacs",
        "payment_method_title": "Virement bancaire",
        "transaction_id": "",
        "date_paid": None,
        "date_paid_gmt": None,
        "date_completed": None,
        "date_completed_gmt": None,
        "cart_hash": "e1b5a8d8f1d3c6a7b2e4f9d0c3a6b8e1",
        "meta_data": [],
        "line_items": [
            {
                "id": 315,
                "name": "Bougie parfumée",
                "product_id": 93,
                "variation_id": 0,
                "quantity": 2,
                "tax_class": "",
                "subtotal": "30.00",
                "subtotal_tax": "6.00",
                "total": "30.00",
                "total_tax": "6.00",
                "taxes": [{"id": 75, "total": "6", "subtotal": "6"}],
                "meta_data": [],
                "sku": "BOUGIE-01",
                "price": 15,
            }
        ],
        "tax_lines": [
            {
                "id": 318,
                "rate_code": "FR-TVA-1",
                "rate_id": 75,
                "label": "TVA",
                "compound": False,
                "tax_total": "6.00",
                "shipping_tax_total": "0.82",
                "meta_data": [],
            }
        ],
        "shipping_lines": [
            {
                "id": 317,
                "method_title": "Colissimo",
                "method_id": "flat_rate",
                "total": "4.08",
                "total_tax": "0.82",
                "taxes": [{"id": 75, "total": "0.82", "subtotal": ""}],
                "meta_data": [],
            }
        ],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [],
        "payment_url": "https://boutique.example/checkout/order-pay/727/?pay_for_order=true&key=wc_order_58d2d042d1d",
        "is_editable": False,
        "needs_payment": False,
        "needs_processing": True,
        "currency_symbol": "€",
    }
    order.update(changes)
    return order


def wp_json_encode(payload: Any) -> bytes:
    """PHP's `json_encode` defaults, as `wp_json_encode` keeps them: `\\/` and `\\uXXXX`."""
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode()


def delivery_headers(body: bytes, secret: str, topic: str, webhook_id: int = 14) -> dict[str, str]:
    resource, event = topic.split(".", 1)
    return {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)",
        "X-WC-Webhook-Source": "https://boutique.example/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": webhook_signature(body, secret),
        "X-WC-Webhook-ID": str(webhook_id),
        "X-WC-Webhook-Delivery-ID": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
    }


class FakeWooCommerce:
    """The store's REST API; `orders` is the store's truth, `received` what Paylink sent."""

    def __init__(self, httpserver: Any, key: str = KEY, secret: str = SECRET) -> None:
        self.key, self.secret = key, secret
        self.orders: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.coupons: dict[int, dict[str, Any]] = {}
        self.received: list[tuple[str, str, Any]] = []
        self.answer_status: list[int] = []  # statuses to answer before behaving (429, 503...)
        httpserver.expect_request(re.compile(f"^{API}/.*")).respond_with_handler(self)

    def add(self, order: dict[str, Any]) -> dict[str, Any]:
        self.orders[order["id"]] = copy.deepcopy(order)
        return order

    def _signed(self, request: Any) -> bool:
        params = [(k, v) for k, v in request.args.items(multi=True) if k != "oauth_signature"]
        names = dict(params)
        if names.get("oauth_consumer_key") != self.key or "oauth_version" in names:
            return False
        base = signature.signature_base_string(
            request.method,
            signature.base_string_uri(request.base_url),
            signature.normalize_parameters(params),
        )
        # WooCommerce's key: the consumer secret and "&" (no token secret), HMAC-SHA256, base64.
        key = f"{quote(self.secret, safe='~')}&".encode()
        expected = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha256).digest()).decode()
        return hmac.compare_digest(expected, request.args.get("oauth_signature", ""))

    def __call__(self, request: Any) -> Any:
        if not self._signed(request):
            return json_answer({"code": "woocommerce_rest_authentication_error"}, 401)
        path = request.path.removeprefix(API)
        body = request.get_json(silent=True)
        self.received.append((request.method, path, body))
        if self.answer_status:
            return json_answer({"code": "busy"}, self.answer_status.pop(0))
        if match := re.fullmatch(r"/orders/(\d+)/notes", path):
            notes = self.notes.setdefault(int(match.group(1)), [])
            if request.method == "POST":
                notes.append({"id": len(notes) + 1, **body})
                return json_answer(notes[-1], 201)
            return json_answer(notes)  # type: ignore[arg-type]
        if match := re.fullmatch(r"/orders/(\d+)", path):
            order = self.orders.get(int(match.group(1)))
            if order is None:
                return json_answer({"code": "woocommerce_rest_shop_order_invalid_id"}, 404)
            if request.method == "PUT":
                self._update(order, body)
            return json_answer(order)
        if path == "/orders":
            return json_answer(self._list(request.args))  # type: ignore[arg-type]
        if path == "/coupons" and request.method == "POST":
            return self._new_coupon(body)
        if path == "/coupons":  # `code`: WooCommerce compares codes without case
            code = request.args.get("code", "").lower()
            return json_answer([c for c in self.coupons.values() if c["code"] == code])  # type: ignore[arg-type]
        if path == "/webhooks" and request.method == "POST":
            hook = {"id": 14 + len(self.webhooks), "status": "active", **body}
            self.webhooks[hook["id"]] = hook
            return json_answer(hook, 201)
        if path == "/webhooks":
            return json_answer(list(self.webhooks.values()))  # type: ignore[arg-type]
        if match := re.fullmatch(r"/webhooks/(\d+)", path):
            self.webhooks[int(match.group(1))].update(body)
            return json_answer(self.webhooks[int(match.group(1))])
        return json_answer({"code": "rest_no_route"}, 404)

    def _new_coupon(self, body: dict[str, Any]) -> Any:
        """WooCommerce keeps codes in lower case and refuses a code that exists."""
        code = body["code"].lower()
        if any(c["code"] == code for c in self.coupons.values()):
            error = {
                "code": "woocommerce_rest_coupon_code_already_exists",
                "message": "The coupon code already exists",
                "data": {"status": 400},
            }
            return json_answer(error, 400)
        coupon = {"id": 719 + len(self.coupons), **body, "code": code, "usage_count": 0}
        self.coupons[coupon["id"]] = coupon
        return json_answer(coupon, 201)

    def _update(self, order: dict[str, Any], change: dict[str, Any]) -> None:
        """`set_paid` completes payment only while the order needs it (pending, failed)."""
        if change.get("status"):
            order["status"] = change["status"]
        if change.get("set_paid") and order["status"] in ("pending", "failed"):
            order["status"] = "processing"
            order["date_paid_gmt"] = "2026-03-02T09:40:00"
        if change.get("transaction_id"):
            order["transaction_id"] = change["transaction_id"]
        order["date_modified_gmt"] = "2026-03-02T09:40:01"

    def _list(self, args: Any) -> list[dict[str, Any]]:
        since = args.get("modified_after", "")
        page, per_page = int(args.get("page", 1)), int(args.get("per_page", 10))
        found = sorted(
            (o for o in self.orders.values() if o["date_modified_gmt"] > since),
            key=lambda o: o["id"],
        )
        return found[(page - 1) * per_page : page * per_page]
