"""A fake Magento 2.4 on pytest-httpserver, in the formats of PLATFORMS.md section 4: the
integration's token exchange (`/oauth/token/request`, `/oauth/token/access`) and the REST API
under `/rest/default/V1`, every request's OAuth 1.0a HMAC-SHA256 signature verified here from
RFC 5849 itself (not with oauthlib, which the client signs with), a replayed nonce refused,
and every REST request checked against the 2.4.9 admin Swagger file (`violations`).

The store holds orders and quotes; an invoice with `capture: false` pays an order, a quote
placed with `PUT /carts/{id}/order` becomes an order. Errors are Magento's shape: `message`
with `%1` placeholders and `parameters`."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import quote, unquote

from werkzeug import Response

from tests.support.openapi_contract import MAGENTO, SwaggerContract
from tests.support.providers import json_answer

API = "/rest/default/V1"
CONSUMER_KEY = "a8kq1mhrj4mf6c7b8w5w3bdqe8mkyr1p"
CONSUMER_SECRET = "c0nsum3rs3cr3tc0nsum3rs3cr3tab12"
VERIFIER = "x3vrbmfa9w6ahtnrlhpt4fxbk4k0ck4d"
ACCESS_TOKEN = "acc3sst0k3nacc3sst0k3nacc3sst0k3"
ACCESS_SECRET = "acc3sss3cr3tacc3sss3cr3tacc3sss3"
REQUEST_TOKEN, REQUEST_SECRET = "r3qu3stt0k3n", "r3qu3sts3cr3t"


def _encode(value: str) -> str:
    return quote(value, safe="~-._")


def oauth_signature(method: str, url: str, params: list[tuple[str, str]], key: str) -> str:
    """RFC 5849 section 3.4: the base string of the method, the URL without its query, and every
    parameter (query and OAuth, not the signature) encoded, sorted and joined; HMAC-SHA256."""
    pairs = sorted((_encode(k), _encode(v)) for k, v in params if k != "oauth_signature")
    normalised = "&".join(f"{k}={v}" for k, v in pairs)
    base = "&".join(_encode(part) for part in (method.upper(), url, normalised))
    digest = hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def magento_credentials(url: str) -> dict[str, str]:
    """What Paylink keeps for a store activated against this fake."""
    return {
        "store_url": url,
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "access_token": ACCESS_TOKEN,
        "access_secret": ACCESS_SECRET,
    }


#: A store's customer groups as Magento ships them, plus one of the merchant's.
CUSTOMER_GROUPS = [
    {"id": i, "code": c, "tax_class_id": 3}
    for i, c in enumerate(("NOT LOGGED IN", "General", "Wholesale", "Retailer"))
]


def mg_order(**changes: Any) -> dict[str, Any]:
    """An order as `GET /V1/orders/{id}` returns it: two candles at 18,00 € tax included (15,00 €
    + 20 % VAT) and 4,90 € shipping, placed with "Pay by link", waiting for payment."""
    order: dict[str, Any] = {
        "entity_id": 42,
        "increment_id": "000000042",
        "quote_id": 77,
        "state": "new",
        "status": "pending",
        "store_id": 1,
        "order_currency_code": "EUR",
        "base_currency_code": "EUR",
        "grand_total": 40.9,
        "base_grand_total": 40.9,
        "subtotal_incl_tax": 36,
        "tax_amount": 6.82,
        "shipping_incl_tax": 4.9,
        "shipping_amount": 4.08,
        "discount_amount": 0,
        "total_paid": 0,
        "total_due": 40.9,
        "total_invoiced": 0,
        "customer_email": "marie@example.fr",
        "customer_firstname": "Marie",
        "customer_lastname": "Curie",
        "customer_is_guest": 0,
        "customer_group_id": 1,
        "created_at": "2026-03-02 09:21:45",
        "updated_at": "2026-03-02 09:21:46",
        "items": [
            {
                "item_id": 11,
                "sku": "BOUGIE-01",
                "name": "Bougie parfumée",
                "qty_ordered": 2,
                "price": 15,
                "price_incl_tax": 18,
                "row_total": 30,
                "row_total_incl_tax": 36,
                "tax_amount": 6,
                "tax_percent": 20,
                "product_type": "simple",
            }
        ],
        "billing_address": {
            "address_type": "billing",
            "firstname": "Marie",
            "lastname": "Curie",
            "street": ["11 rue Pierre et Marie Curie"],
            "city": "Paris",
            "postcode": "75005",
            "country_id": "FR",
            "telephone": "06 12 34 56 78",
            "email": "marie@example.fr",
        },
        "payment": {"method": "paylink", "amount_ordered": 40.9, "additional_information": []},
        "status_histories": [],
    }
    order.update(changes)
    return order


def mg_quote(**changes: Any) -> dict[str, Any]:
    """An abandoned quote (`GET /V1/carts/search` item) and its totals."""
    quote_: dict[str, Any] = {
        "id": 90,
        "created_at": "2026-03-02 09:00:00",
        "updated_at": "2026-03-02 09:30:00",
        "is_active": True,
        "is_virtual": False,
        "items_count": 1,
        "items_qty": 2,
        "customer": {
            "id": 5,
            "email": "marie@example.fr",
            "firstname": "Marie",
            "lastname": "Curie",
        },
        "billing_address": {"country_id": "FR", "telephone": "06 12 34 56 78"},
        "currency": {"quote_currency_code": "EUR"},
        "customer_is_guest": False,
        "store_id": 1,
    }
    quote_.update(changes)
    return quote_


def mg_totals() -> dict[str, Any]:
    return {
        "grand_total": 40.9,
        "subtotal_incl_tax": 36,
        "shipping_incl_tax": 4.9,
        "discount_amount": 0,
        "tax_amount": 6.82,
        "quote_currency_code": "EUR",
        "items": [
            {
                "item_id": 31,
                "name": "Bougie parfumée",
                "qty": 2,
                "price_incl_tax": 18,
                "row_total_incl_tax": 36,
                "tax_amount": 6,
            }
        ],
    }


class FakeMagento:
    def __init__(self, httpserver: Any) -> None:
        self.contract = SwaggerContract(MAGENTO)
        self.orders: dict[int, dict[str, Any]] = {}
        self.quotes: dict[int, dict[str, Any]] = {}
        self.invoices: list[dict[str, Any]] = []
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.nonces: set[tuple[str, str]] = set()
        self.violations: list[str] = []
        self.received: list[tuple[str, str, Any]] = []
        self.revoked = False
        self.refuse: dict[str, tuple[str, list[str]]] = {}  # "POST order/42/invoice" -> error
        self.rules: dict[int, dict[str, Any]] = {}
        self.coupons: dict[int, dict[str, Any]] = {}
        #: ACL resources the integration was not given ("Magento_SalesRule::quote").
        self.denied: set[str] = set()
        httpserver.expect_request(re.compile(r"^/oauth/token/.*")).respond_with_handler(self.token)
        httpserver.expect_request(re.compile(f"^{API}/.*")).respond_with_handler(self)

    def add(self, order: dict[str, Any]) -> dict[str, Any]:
        self.orders[int(order["entity_id"])] = copy.deepcopy(order)
        return order

    # OAuth ----------------------------------------------------------------------------------

    def _verified(self, request: Any, token_secret: str) -> dict[str, str] | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("OAuth "):
            return None
        oauth = {}
        for part in header.removeprefix("OAuth ").split(","):
            name, _, value = part.strip().partition("=")
            oauth[unquote(name)] = unquote(value.strip('"'))
        if oauth.get("oauth_signature_method") != "HMAC-SHA256":
            return None
        if (
            oauth.get("oauth_consumer_key") != CONSUMER_KEY
            or oauth.get("oauth_version", "1.0") != "1.0"
        ):
            return None
        params = [
            *request.args.items(multi=True),
            *((k, v) for k, v in oauth.items() if k != "realm"),
        ]
        url = request.base_url
        key = f"{_encode(CONSUMER_SECRET)}&{_encode(token_secret)}"
        expected = oauth_signature(request.method, url, params, key)
        if not hmac.compare_digest(expected, oauth.get("oauth_signature", "")):
            return None
        nonce = (oauth.get("oauth_timestamp", ""), oauth.get("oauth_nonce", ""))
        if nonce in self.nonces:  # a replayed request
            return None
        self.nonces.add(nonce)
        return oauth

    def token(self, request: Any) -> Response:
        if request.path == "/oauth/token/request":
            if self._verified(request, "") is None:
                return Response("oauth_problem=signature_invalid", 401)
            return Response(f"oauth_token={REQUEST_TOKEN}&oauth_token_secret={REQUEST_SECRET}")
        oauth = self._verified(request, REQUEST_SECRET)
        if oauth is None or oauth.get("oauth_token") != REQUEST_TOKEN:
            return Response("oauth_problem=signature_invalid", 401)
        if oauth.get("oauth_verifier") != VERIFIER:
            return Response("oauth_problem=verifier_invalid", 401)
        return Response(f"oauth_token={ACCESS_TOKEN}&oauth_token_secret={ACCESS_SECRET}")

    # REST -----------------------------------------------------------------------------------

    def _error(self, status: int, message: str, parameters: list[str] | None = None) -> Response:
        return json_answer({"message": message, "parameters": parameters or []}, status)

    def __call__(self, request: Any) -> Response:
        self.violations += self.contract.violations(request)
        oauth = self._verified(request, ACCESS_SECRET)
        if self.revoked or oauth is None or oauth.get("oauth_token") != ACCESS_TOKEN:
            return self._error(401, "The consumer isn't authorized to access %resources.")
        path = request.path.removeprefix(f"{API}/")
        body = json.loads(request.get_data()) if request.get_data() else None
        self.received.append((request.method, path, body))
        if f"{request.method} {path}" in self.refuse:
            message, parameters = self.refuse[f"{request.method} {path}"]
            return self._error(400, message, parameters)
        if path.startswith(("coupons", "salesRules")) and "Magento_SalesRule::quote" in self.denied:
            return self._error(
                401,
                "The consumer isn't authorized to access %resources.",
                ["Magento_SalesRule::quote"],
            )
        if path in ("coupons/search", "salesRules/search"):
            pool = self.coupons if path.startswith("coupons") else self.rules
            return json_answer(self._found(list(pool.values()), request.args))
        if path == "salesRules":
            return self._new_rule(body["rule"])
        if path == "coupons":
            return self._new_coupon(body["coupon"])
        if path == "store/websites":
            return json_answer(
                [
                    {"id": 0, "code": "admin", "name": "Admin", "default_group_id": 0},
                    {"id": 1, "code": "base", "name": "Main Website", "default_group_id": 1},
                ]
            )  # type: ignore[arg-type]
        if path == "customerGroups/search":
            return json_answer(self._found(CUSTOMER_GROUPS, request.args))
        if match := re.fullmatch(r"customerGroups/(\d+)", path):
            if "Magento_Customer::group" in self.denied:
                return self._error(
                    401,
                    "The consumer isn't authorized to access %resources.",
                    ["Magento_Customer::group"],
                )
            group_id = int(match.group(1))
            if group_id >= len(CUSTOMER_GROUPS):
                return self._error(404, "No such entity with id = %1", [str(group_id)])
            return json_answer(CUSTOMER_GROUPS[group_id])
        if match := re.fullmatch(r"orders/(\d+)", path):
            order = self.orders.get(int(match.group(1)))
            if order is None:
                return self._error(404, "The entity that was requested doesn't exist.")
            return json_answer(order)
        if path in ("orders", "carts/search"):
            return json_answer(self._search(request.args, path))
        if match := re.fullmatch(r"order/(\d+)/invoice", path):
            return self._invoice(int(match.group(1)), body)
        if match := re.fullmatch(r"orders/(\d+)/comments", path):
            found = self.comments.setdefault(int(match.group(1)), [])
            if request.method == "POST":
                found.append(body["statusHistory"])
                return json_answer(True)  # type: ignore[arg-type]
            return json_answer({"items": found, "total_count": len(found)})
        if match := re.fullmatch(r"carts/(\d+)/totals", path):
            return json_answer(mg_totals())
        if match := re.fullmatch(r"carts/(\d+)/order", path):
            return self._place(int(match.group(1)), body)
        if match := re.fullmatch(r"carts/(\d+)", path):
            found_quote = self.quotes.get(int(match.group(1)))
            if found_quote is None:
                return self._error(
                    404, "No such entity with %fieldName = %fieldValue", ["cartId", match.group(1)]
                )
            return json_answer(found_quote)
        return self._error(404, "Request does not match any route.")

    def _search(self, args: Any, path: str) -> dict[str, Any]:
        return self._found(
            list(self.orders.values() if path == "orders" else self.quotes.values()), args
        )

    def _new_rule(self, rule: dict[str, Any]) -> Response:
        rule = {**rule, "rule_id": 1 + len(self.rules)}
        self.rules[rule["rule_id"]] = rule
        return json_answer(rule)

    def _new_coupon(self, coupon: dict[str, Any]) -> Response:
        """CouponRepository::save: the rule must exist and allow coupons added this way
        (specific coupons with auto generation); codes are unique."""
        rule = self.rules.get(coupon["rule_id"])
        if rule is None:
            return self._error(
                404,
                "No such entity with %fieldName = %fieldValue",
                ["ruleId", str(coupon["rule_id"])],
            )
        if rule["coupon_type"] != "SPECIFIC_COUPON" or not rule["use_auto_generation"]:
            return self._error(400, "Specified rule does not allow coupons")
        if any(c["code"] == coupon["code"] for c in self.coupons.values()):
            return self._error(400, "The coupon code isn't unique. Verify the code and try again.")
        coupon = {**coupon, "coupon_id": 1 + len(self.coupons)}
        self.coupons[coupon["coupon_id"]] = coupon
        return json_answer(coupon)

    def _found(self, found: list[dict[str, Any]], args: Any) -> dict[str, Any]:
        index = 0
        while f"searchCriteria[filterGroups][{index}][filters][0][field]" in args:
            prefix = f"searchCriteria[filterGroups][{index}][filters][0]"
            field, value = args[f"{prefix}[field]"], args[f"{prefix}[value]"]
            condition = args.get(f"{prefix}[conditionType]", "eq")
            found = [item for item in found if _matches(item.get(field), value, condition)]
            index += 1
        size = int(args.get("searchCriteria[pageSize]", 20))
        page = int(args.get("searchCriteria[currentPage]", 1))
        return {
            "items": found[(page - 1) * size : page * size],
            "search_criteria": {},
            "total_count": len(found),
        }

    def _invoice(self, order_id: int, body: dict[str, Any]) -> Response:
        order = self.orders[order_id]
        if order["total_invoiced"] >= order["grand_total"]:
            return self._error(400, "The order does not allow an invoice to be created.")
        assert body.get("capture") is False, "Paylink never asks Magento to capture"
        self.invoices.append({"order_id": order_id, **body})
        order.update(
            state="processing",
            status="processing",
            total_invoiced=order["grand_total"],
            total_paid=order["grand_total"],
            total_due=0,
        )
        return json_answer(len(self.invoices))  # type: ignore[arg-type]

    def _place(self, quote_id: int, body: dict[str, Any]) -> Response:
        quote_ = self.quotes[quote_id]
        if not quote_["is_active"]:
            return self._error(400, "The cart isn't active.")
        quote_["is_active"] = False
        order_id = 600 + len(self.orders)
        self.add(
            mg_order(
                entity_id=order_id,
                increment_id=f"000000{order_id}",
                quote_id=quote_id,
                payment={"method": body["paymentMethod"]["method"]},
            )
        )
        return json_answer(order_id)  # type: ignore[arg-type]


def _matches(actual: Any, value: str, condition: str) -> bool:
    if condition == "gt":
        return str(actual) > value if isinstance(actual, str) else float(actual or 0) > float(value)
    if condition == "eq":
        return str(actual) == value
    raise AssertionError(f"the fake does not know conditionType {condition}")
