"""Every GraphQL document the Shopify connector sends (each validated in a test against the
Admin schema of the pinned version), and the client that sends them: the access token header,
cost-based throttling read from `extensions.cost.throttleStatus`, 429/5xx answered as errors to
retry, and `userErrors` returned to the caller (who puts them on the invoice timeline)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import requests

from core.errors import AccessRevoked, OutsideServiceFailed, StoreRefused, Throttled
from core.http import send_json

API_VERSION = "2025-01"

ORDER_PAYMENT_STATE = """
query OrderPaymentState($id: ID!) {
  order(id: $id) {
    id
    name
    canMarkAsPaid
    displayFinancialStatus
    totalOutstandingSet { presentmentMoney { amount currencyCode } }
  }
}
"""

ORDER_MARK_AS_PAID = """
mutation OrderMarkAsPaid($input: OrderMarkAsPaidInput!) {
  orderMarkAsPaid(input: $input) {
    order { id displayFinancialStatus }
    userErrors { field message }
  }
}
"""

TAGS_ADD = """
mutation TagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}
"""

METAFIELDS_SET = """
mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key value }
    userErrors { field message }
  }
}
"""

SHOP_PROFILE = """
query ShopProfile {
  shop {
    name
    currencyCode
    ianaTimezone
    billingAddress { countryCodeV2 }
  }
}
"""

#: What the connector reads of a draft order, in every draft document: enough to know whether
#: it can be completed (calculated, same total as the customer paid) and what it became.
DRAFT_ORDER_FIELDS = """
fragment DraftOrderState on DraftOrder {
  id
  name
  ready
  status
  totalPriceSet { presentmentMoney { amount currencyCode } }
  order { id name }
}
"""

DRAFT_ORDERS_TAGGED = (
    """
query DraftOrdersTagged($query: String!) {
  draftOrders(first: 1, query: $query) { nodes { ...DraftOrderState } }
}
"""
    + DRAFT_ORDER_FIELDS
)

DRAFT_ORDER_STATE = (
    """
query DraftOrderState($id: ID!) {
  draftOrder(id: $id) { ...DraftOrderState }
}
"""
    + DRAFT_ORDER_FIELDS
)

DRAFT_ORDER_CREATE = (
    """
mutation DraftOrderCreate($input: DraftOrderInput!) {
  draftOrderCreate(input: $input) {
    draftOrder { ...DraftOrderState }
    userErrors { field message }
  }
}
"""
    + DRAFT_ORDER_FIELDS
)

DRAFT_ORDER_COMPLETE = (
    """
mutation DraftOrderComplete($id: ID!) {
  draftOrderComplete(id: $id, sourceName: "paylink") {
    draftOrder { ...DraftOrderState }
    userErrors { field message }
  }
}
"""
    + DRAFT_ORDER_FIELDS
)

DISCOUNT_BY_CODE = """
query DiscountByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) { id }
}
"""

DISCOUNT_CODE_CREATE = """
mutation DiscountCodeCreate($discount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $discount) {
    codeDiscountNode { id }
    userErrors { field message code }
  }
}
"""

DOCUMENTS = {
    "SHOP_PROFILE": SHOP_PROFILE,
    "ORDER_PAYMENT_STATE": ORDER_PAYMENT_STATE,
    "ORDER_MARK_AS_PAID": ORDER_MARK_AS_PAID,
    "TAGS_ADD": TAGS_ADD,
    "METAFIELDS_SET": METAFIELDS_SET,
    "DRAFT_ORDERS_TAGGED": DRAFT_ORDERS_TAGGED,
    "DRAFT_ORDER_STATE": DRAFT_ORDER_STATE,
    "DRAFT_ORDER_CREATE": DRAFT_ORDER_CREATE,
    "DRAFT_ORDER_COMPLETE": DRAFT_ORDER_COMPLETE,
    "DISCOUNT_BY_CODE": DISCOUNT_BY_CODE,
    "DISCOUNT_CODE_CREATE": DISCOUNT_CODE_CREATE,
}


@dataclass(frozen=True)
class ShopifyAdmin:
    """One shop's Admin GraphQL API. `api_base` replaces `https://<shop>` (a local fake)."""

    shop: str
    access_token: str
    session: requests.Session
    api_base: str | None = None
    api_version: str = API_VERSION

    @property
    def url(self) -> str:
        base = self.api_base.rstrip("/") if self.api_base else f"https://{self.shop}"
        return f"{base}/admin/api/{self.api_version}/graphql.json"

    def execute(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        status, body = send_json(
            self.session,
            "Shopify",
            "POST",
            self.url,
            json={"query": document, "variables": variables},
            headers={"X-Shopify-Access-Token": self.access_token, "Accept": "application/json"},
        )
        if status == 429 or status >= 500:
            raise Throttled(f"Shopify answered {status}", 2.0)
        if status == 401:
            # The offline token no longer works (the app was removed, the token revoked).
            raise AccessRevoked(
                f"Shopify refused Paylink's token for {self.shop} (401): open the app again"
            )
        errors = body.get("errors")
        if errors:
            codes = {
                str((e.get("extensions") or {}).get("code")) for e in errors if isinstance(e, dict)
            }
            if "THROTTLED" in codes:
                raise Throttled("Shopify throttled the query", _wait(body))
            if "ACCESS_DENIED" in codes:
                # A scope the shop did not grant (an install older than the scope): the
                # merchant must open the app again to approve it.
                raise StoreRefused(
                    f"Shopify refused access for {self.shop}: open the app again to approve "
                    "its new permissions"
                )
            raise OutsideServiceFailed(f"Shopify refused the query ({status}): {errors}")
        if status >= 400:
            raise OutsideServiceFailed(f"Shopify refused the query ({status})")
        return dict(body.get("data") or {})


def _wait(body: dict[str, Any]) -> float:
    """Seconds until the bucket holds the query's cost, from `extensions.cost`."""
    cost = (body.get("extensions") or {}).get("cost") or {}
    throttle = cost.get("throttleStatus") or {}
    needed = float(cost.get("requestedQueryCost") or 0) - float(
        throttle.get("currentlyAvailable") or 0
    )
    rate = float(throttle.get("restoreRate") or 50)
    return max(1.0, math.ceil(needed / rate)) if needed > 0 else 1.0
