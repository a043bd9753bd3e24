"""A fake Shopify for tests: the Admin GraphQL API answering as Shopify does, after checking each
document *and its variables* against the 2025-01 schema (so an input Shopify would refuse
fails the test), and signed webhook deliveries as Shopify sends them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import jwt
from graphql import GraphQLSchema, parse
from graphql.execution.values import get_variable_values
from graphql.validation.validate import validate

from tests.support.providers import json_answer

GRAPHQL = "/admin/api/2025-01/graphql.json"
ORDER_GID = "gid://shopify/Order/450789469"
COST = {
    "requestedQueryCost": 10,
    "actualQueryCost": 10,
    "throttleStatus": {
        "maximumAvailable": 2000.0,
        "currentlyAvailable": 1990,
        "restoreRate": 100.0,
    },
}


def webhook_headers(
    body: bytes,
    secret: str,
    topic: str = "orders/create",
    event_id: str = "evt-1",
    shop: str = "lune.myshopify.com",
    triggered_at: str | None = None,
) -> dict[str, str]:
    """The headers of a delivery: base64 HMAC-SHA256 of the exact body with the app secret;
    triggered now unless said otherwise."""
    triggered = triggered_at or datetime.now(UTC).isoformat(timespec="milliseconds")
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {
        "Content-Type": "application/json",
        "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Event-Id": event_id,
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Triggered-At": triggered.replace("+00:00", "Z"),
        "X-Shopify-API-Version": "2025-01",
    }


def session_token(secret: str, shop: str = "lune.myshopify.com", **changes: Any) -> str:
    """An App Bridge session token as Shopify signs it (HS256 with the app secret), valid now:
    PyJWT checks `exp`/`nbf` against the real clock."""
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": "client-id",
        "sub": "42",
        "exp": now + 60,
        "nbf": now - 5,
        "iat": now - 5,
        "jti": "f8912129-1af6-4cad-9ca3-76b0f7621087",
        "sid": "aaea182f2732d44c23057c0fea584021a4485b2bd25d3eb7fd349313ad24c685",
        **changes,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class FakeShop:
    """The Admin API of one shop: orders it can mark paid, and draft orders it creates,
    calculates (adding `draft_tax` to what the lines say, as Shopify's tax engine would) and
    completes into paid orders."""

    def __init__(
        self,
        schema: GraphQLSchema,
        can_mark: bool = True,
        errors: list[dict[str, Any]] | None = None,
        token: str = "shpat_x",
        draft_tax: str = "0",
        draft_ready: bool = True,
    ) -> None:
        self.schema, self.can_mark, self.errors, self.token = schema, can_mark, errors or [], token
        self.draft_tax, self.draft_ready = Decimal(draft_tax), draft_ready
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.drafts: dict[str, dict[str, Any]] = {}
        # The order's state as Shopify keeps it: paid once marked, tags and metafields sets.
        self.order_paid = False
        self.tags: set[str] = set()
        self.metafields: dict[tuple[str, str], str] = {}
        # Discount codes made through the API, by code: (id, DiscountCodeBasicInput).
        self.discounts: dict[str, tuple[str, dict[str, Any]]] = {}

    def __call__(self, request: Any) -> Any:
        assert request.headers["X-Shopify-Access-Token"] == self.token
        body = request.get_json()
        document = parse(body["query"])
        assert validate(self.schema, document) == [], body["query"]
        operation = document.definitions[0]
        coerced = get_variable_values(
            self.schema, operation.variable_definitions or (), body.get("variables") or {}
        )
        assert not isinstance(coerced, list), [str(error) for error in coerced]
        name = operation.name.value
        self.received.append((name, body["variables"]))
        return json_answer(
            {"data": self.answer(name, body["variables"]), "extensions": {"cost": COST}}
        )

    def answer(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        orders = {
            "OrderPaymentState": lambda: {
                "order": {
                    "id": ORDER_GID,
                    "name": "#1001",
                    "canMarkAsPaid": self.can_mark and not self.order_paid,
                    "displayFinancialStatus": "PAID" if self.order_paid else "PENDING",
                    "totalOutstandingSet": {
                        "presentmentMoney": {"amount": "598.94", "currencyCode": "USD"}
                    },
                }
            },
            "OrderMarkAsPaid": lambda: (
                self._mark_paid()
                or {
                    "orderMarkAsPaid": {
                        "order": {"id": ORDER_GID, "displayFinancialStatus": "PAID"},
                        "userErrors": self.errors,
                    }
                }
            ),
            "ShopProfile": lambda: {
                "shop": {
                    "name": "Boutique Lune",
                    "currencyCode": "EUR",
                    "ianaTimezone": "Europe/Paris",
                    "billingAddress": {"countryCodeV2": "FR"},
                }
            },
            "TagsAdd": lambda: (
                self.tags.update(variables["tags"])
                or {"tagsAdd": {"node": {"id": ORDER_GID}, "userErrors": []}}
            ),
            "MetafieldsSet": lambda: (
                self.metafields.update(
                    {(m["namespace"], m["key"]): m["value"] for m in variables["metafields"]}
                )
                or {"metafieldsSet": {"metafields": [], "userErrors": []}}
            ),
            "DraftOrdersTagged": lambda: {
                "draftOrders": {"nodes": self._tagged(variables["query"])}
            },
            "DraftOrderState": lambda: {"draftOrder": self._state(variables["id"])},
            "DraftOrderCreate": lambda: self._create(variables["input"]),
            "DraftOrderComplete": lambda: self._complete(variables["id"]),
            "DiscountByCode": lambda: {
                "codeDiscountNodeByCode": (
                    {"id": self.discounts[variables["code"]][0]}
                    if variables["code"] in self.discounts
                    else None
                )
            },
            "DiscountCodeCreate": lambda: self._discount(variables["discount"]),
        }
        return orders[operation]()

    def _discount(self, data: dict[str, Any]) -> dict[str, Any]:
        if data["code"] in self.discounts:  # codes are unique in a shop
            error = {
                "field": ["basicCodeDiscount", "code"],
                "message": "Code must be unique. Please try a different code.",
                "code": "TAKEN",
            }
            return {"discountCodeBasicCreate": {"codeDiscountNode": None, "userErrors": [error]}}
        gid = f"gid://shopify/DiscountCodeNode/{1057371000 + len(self.discounts)}"
        self.discounts[data["code"]] = (gid, data)
        return {"discountCodeBasicCreate": {"codeDiscountNode": {"id": gid}, "userErrors": []}}

    def _mark_paid(self) -> None:
        self.order_paid = self.order_paid or not self.errors

    def _tagged(self, query: str) -> list[dict[str, Any]]:
        tag = query.removeprefix("tag:").strip("'")
        return [self._state(gid) for gid, d in self.drafts.items() if tag in d["input"]["tags"]]

    def _state(self, gid: str) -> dict[str, Any] | None:
        draft = self.drafts.get(gid)
        if draft is None:
            return None
        data = draft["input"]
        total = sum(
            Decimal(line["priceOverride"]["amount"]) * line["quantity"]
            for line in data["lineItems"]
        )
        total += Decimal(data.get("shippingLine", {}).get("priceWithCurrency", {}).get("amount", 0))
        total -= Decimal(data.get("appliedDiscount", {}).get("value", 0))
        total += self.draft_tax
        return {
            "id": gid,
            "name": draft["name"],
            "ready": self.draft_ready,
            "status": "COMPLETED" if draft["order"] else "OPEN",
            "totalPriceSet": {
                "presentmentMoney": {
                    "amount": f"{total:.2f}",
                    "currencyCode": data["presentmentCurrencyCode"],
                }
            },
            "order": draft["order"],
        }

    def _create(self, data: dict[str, Any]) -> dict[str, Any]:
        number = len(self.drafts) + 1
        gid = f"gid://shopify/DraftOrder/{1000 + number}"
        self.drafts[gid] = {"input": data, "name": f"#D{number}", "order": None}
        return {"draftOrderCreate": {"draftOrder": self._state(gid), "userErrors": []}}

    def _complete(self, gid: str) -> dict[str, Any]:
        draft = self.drafts[gid]
        draft["order"] = draft["order"] or {
            "id": f"gid://shopify/Order/{820982911946154500 + len(self.drafts)}",
            "name": f"#{1000 + len(self.drafts)}",
        }
        return {"draftOrderComplete": {"draftOrder": self._state(gid), "userErrors": []}}
