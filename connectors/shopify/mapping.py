"""Shopify <-> Paylink, pure: an `orders/create` body (the REST Order shape) as the invoice it
asks for, in the currency the customer saw (presentment money).

Which orders need an invoice is the merchant's choice: orders still to pay (financial status
pending or partially paid) through one of the gateways they name (a manual "pay by link"
gateway, bank deposit...). Anything else maps to None. An order whose lines do not add up to
its total is refused with the difference, never invoiced wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.errors import ValidationError
from core.events import CustomerDetails, InvoiceRequested, SourceKind
from core.invoices import InvoiceContent, InvoiceLine
from core.money import Money

UNPAID_STATUSES = frozenset({"pending", "partially_paid"})
#: Shopify's mandatory privacy webhooks: honoured even after the app was uninstalled.
COMPLIANCE_TOPICS = frozenset({"customers/data_request", "customers/redact", "shop/redact"})


def _presentment(money_set: Mapping[str, Any] | None, fallback: str, currency: str) -> Money:
    """An amount in the customer's currency, from a `*_set` pair when the body has one."""
    if money_set and money_set.get("presentment_money"):
        money = money_set["presentment_money"]
        return Money.parse(str(money["amount"]), str(money["currency_code"]))
    return Money.parse(fallback or "0", currency)


def needs_invoice(order: Mapping[str, Any], gateways: Iterable[str]) -> bool:
    chosen = {g.strip().lower() for g in gateways}
    used = {str(g).lower() for g in order.get("payment_gateway_names") or []}
    return order.get("financial_status") in UNPAID_STATUSES and bool(chosen & used)


def customer_name(body: Mapping[str, Any]) -> str:
    """The customer's name on an order or checkout: their account's, else the billing one."""
    customer = body.get("customer") or {}
    billing = body.get("billing_address") or {}
    return " ".join(
        part
        for part in (
            customer.get("first_name") or billing.get("first_name"),
            customer.get("last_name") or billing.get("last_name"),
        )
        if part
    )


def _customer(order: Mapping[str, Any]) -> CustomerDetails:
    customer = order.get("customer") or {}
    billing = order.get("billing_address") or {}
    return CustomerDetails(
        name=customer_name(order),
        email=order.get("email") or order.get("contact_email") or customer.get("email"),
        phone=order.get("phone") or customer.get("phone") or billing.get("phone"),
        locale=order.get("customer_locale"),
        tags=tuple(
            tag.strip() for tag in str(customer.get("tags") or "").split(",") if tag.strip()
        ),
    )


def order_invoice(
    order: Mapping[str, Any], store_id: int, gateways: Iterable[str]
) -> InvoiceRequested | None:
    """The invoice an order asks for, or None when it needs none (paid, or another gateway)."""
    if not needs_invoice(order, gateways):
        return None
    currency = str(order.get("presentment_currency") or order["currency"])
    lines = tuple(
        InvoiceLine(
            label=str(item.get("title") or item.get("name") or "—")[:500],
            quantity=int(item["quantity"]),
            unit_price=_presentment(item.get("price_set"), item.get("price", "0"), currency),
            tax=sum(
                (
                    _presentment(tax.get("price_set"), tax.get("price", "0"), currency)
                    for tax in item.get("tax_lines") or []
                ),
                Money.zero(currency),
            ),
            sku=item.get("sku") or None,
        )
        for item in order.get("line_items") or []
        if int(item.get("quantity") or 0) > 0
    )
    content = InvoiceContent(
        currency=currency,
        lines=lines,
        shipping=_presentment(order.get("total_shipping_price_set"), "0", currency),
        discount=_presentment(
            order.get("total_discounts_set"), order.get("total_discounts", "0"), currency
        ),
        taxes_included=bool(order.get("taxes_included")),
    )
    expected = _presentment(order.get("total_price_set"), order.get("total_price", "0"), currency)
    computed = content.totals().total
    if computed != expected:
        raise ValidationError(
            f"order {order.get('name')}: lines add up to {computed}, Shopify says {expected}"
        )
    return InvoiceRequested(
        source_kind=SourceKind.ORDER,
        external_id=str(order["id"]),
        content=content,
        customer=_customer(order),
        store_id=store_id,
        shop_total=_shop_money(order.get("total_price_set")),
    )


def _shop_money(money_set: Mapping[str, Any] | None) -> Money | None:
    """The order's total in the shop's currency, as Shopify converted it."""
    shop = (money_set or {}).get("shop_money")
    return Money.parse(str(shop["amount"]), str(shop["currency_code"])) if shop else None
