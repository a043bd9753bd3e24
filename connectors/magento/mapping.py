"""Magento <-> Paylink, pure: what an order (the REST `sales-data-order-interface`) asks of
Paylink, and the invoice an order or an abandoned quote becomes.

- Still to pay (`total_due` above zero, state `new` or `pending_payment`) through a method the
  merchant invoices (by default the module's "Pay by link", `paylink`; `checkmo` or
  `banktransfer` when chosen): an invoice.
- Nothing left to pay: settled in the store. `canceled` or `closed`: gone.
- An order finishes the quote it was placed from (`quote-<quote_id>`).

Magento sends amounts as JSON numbers: they are read as decimals of the currency's unit, never
kept as floats. Prices are those the customer saw, tax included; an order whose parts do not add
up to `grand_total` is refused with both amounts.
"""

from __future__ import annotations

import contextlib
import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.errors import MALFORMED_PAYLOAD, ValidationError
from core.events import CartSeen, CustomerDetails, InvoiceRequested, SourceKind
from core.invoices import InvoiceContent, InvoiceLine, normalise_phone
from core.money import Money, minor_unit_exponent
from core.store_changes import CartOrdered, Ignored, OrderSettled, StoreChange, Unusable

DEFAULT_INVOICE_METHODS = ("paylink",)
UNPAID_STATES = frozenset({"new", "pending_payment"})
GONE_STATES = frozenset({"canceled", "closed"})


class OrderState(enum.Enum):
    INVOICE = "invoice"
    PAID = "paid"
    GONE = "gone"
    OTHER = "other"


def quote_token(quote_id: Any) -> str:
    return f"quote-{int(quote_id)}"


def amount(value: Any, currency: str) -> Money:
    """A Magento number (598.94, "598.9400") at the currency's unit."""
    quantum = Decimal(1).scaleb(-minor_unit_exponent(currency))
    return Money.parse(Decimal(str(value or 0)).quantize(quantum, ROUND_HALF_UP), currency)


def order_state(order: Mapping[str, Any], methods: Iterable[str]) -> OrderState:
    state = str(order.get("state") or "")
    if state in GONE_STATES:
        return OrderState.GONE
    currency = str(order["order_currency_code"])
    if amount(order.get("total_due"), currency).minor <= 0 and state not in UNPAID_STATES:
        return OrderState.PAID
    method = str((order.get("payment") or {}).get("method") or "").lower()
    if state in UNPAID_STATES and method in {m.strip().lower() for m in methods}:
        return OrderState.INVOICE
    return OrderState.OTHER


def order_changes(
    order: Mapping[str, Any],
    store_id: int,
    methods: Iterable[str],
    customer_tags: tuple[str, ...] = (),
) -> tuple[StoreChange, ...]:
    """What an order, as the store has it now, asks of Paylink (the module's event and the
    poller give the same answer); `customer_tags`: its customer group's name, read apart."""
    try:
        order_id = str(int(order["entity_id"]))
        state = order_state(order, methods)
        changes: list[StoreChange] = []
        if order.get("quote_id"):
            changes.append(CartOrdered(quote_token(order["quote_id"]), order_id, known_only=True))
        if state == OrderState.INVOICE:
            return (*changes, order_invoice(order, store_id, customer_tags))
    except MALFORMED_PAYLOAD as error:
        return (Unusable(f"order {order.get('increment_id')} not usable: {error}"),)
    if state == OrderState.PAID:
        return (*changes, OrderSettled(order_id, "paid in the store"))
    if state == OrderState.GONE:
        return (*changes, OrderSettled(order_id, f"order {order.get('state')} in the store"))
    method = (order.get("payment") or {}).get("method")
    return (*changes, Ignored(f"nothing to do ({order.get('state')}, {method})"))


def _lines(items: Iterable[Mapping[str, Any]], currency: str) -> list[InvoiceLine]:
    """Visible items only (a configurable's child repeats its parent), tax included."""
    lines = []
    for item in items:
        if item.get("parent_item_id") or item.get("parent_item"):
            continue
        quantity = Decimal(str(item.get("qty_ordered") or item.get("qty") or 0))
        if quantity <= 0:
            continue
        label = str(item.get("name") or "—")
        row = amount(item.get("row_total_incl_tax"), currency)
        tax = amount(item.get("tax_amount"), currency)
        unit = amount(item.get("price_incl_tax"), currency)
        whole = int(quantity) if quantity == quantity.to_integral_value() else None
        if whole is not None and unit * whole == row:
            lines.append(InvoiceLine(label[:500], whole, unit, tax))
        else:
            named = f"{label} × {quantity.normalize()}" if quantity != 1 else label
            lines.append(InvoiceLine(named[:500], 1, row, tax))
    return lines


def _content(
    items: Iterable[Mapping[str, Any]],
    shipping: Any,
    discount: Any,
    grand_total: Any,
    currency: str,
    name: str,
) -> InvoiceContent:
    content = InvoiceContent(
        currency=currency,
        lines=tuple(_lines(items, currency)),
        shipping=amount(shipping, currency),
        discount=amount(abs(Decimal(str(discount or 0))), currency),
        taxes_included=True,
    )
    computed, said = content.totals().total, amount(grand_total, currency)
    if computed != said:
        raise ValidationError(f"{name}: its parts add up to {computed}, Magento says {said}")
    return content


def _customer(email: Any, first: Any, last: Any, address: Mapping[str, Any]) -> CustomerDetails:
    name = " ".join(
        str(p) for p in (first or address.get("firstname"), last or address.get("lastname")) if p
    )
    phone = address.get("telephone") or None
    if phone:  # read for the billing country; left as typed when unreadable
        with contextlib.suppress(ValidationError):
            phone = normalise_phone(str(phone), address.get("country_id") or None)
    return CustomerDetails(name=name, email=email or None, phone=phone)


def order_invoice(
    order: Mapping[str, Any], store_id: int, customer_tags: tuple[str, ...] = ()
) -> InvoiceRequested:
    currency = str(order["order_currency_code"])
    content = _content(
        order.get("items") or [],
        order.get("shipping_incl_tax"),
        order.get("discount_amount"),
        order["grand_total"],
        currency,
        f"order {order.get('increment_id')}",
    )
    return InvoiceRequested(
        source_kind=SourceKind.ORDER,
        external_id=str(int(order["entity_id"])),
        content=content,
        customer=replace(
            _customer(
                order.get("customer_email"),
                order.get("customer_firstname"),
                order.get("customer_lastname"),
                order.get("billing_address") or {},
            ),
            tags=customer_tags,
        ),
        store_id=store_id,
        shop_total=(
            amount(order["base_grand_total"], str(order["base_currency_code"]))
            if order.get("base_currency_code") and order.get("base_grand_total") is not None
            else None
        ),
    )


# Quotes ----------------------------------------------------------------------------------------


def changed_at(raw: Any) -> datetime:
    """Magento's times are UTC without an offset ("2026-03-02 09:21:45")."""
    return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)


def quote_seen(quote: Mapping[str, Any], totals: Mapping[str, Any]) -> CartSeen:
    """A quote and its totals (`GET /V1/carts/{id}/totals`), followed as a cart."""
    body = json.dumps({"quote": quote, "totals": totals})
    completed = not quote.get("is_active", True)
    return CartSeen(quote_token(quote["id"]), changed_at(quote["updated_at"]), completed, body)


def quote_invoice(body: Mapping[str, Any], store_id: int) -> InvoiceRequested | None:
    """The invoice an abandoned quote asks for; None when nobody can be reached."""
    quote, totals = body["quote"], body["totals"]
    customer = quote.get("customer") or {}
    address = quote.get("billing_address") or {}
    email = customer.get("email") or address.get("email")
    if not (email or address.get("telephone")) or not totals.get("items"):
        return None
    currency = str(
        totals.get("quote_currency_code") or (quote.get("currency") or {})["quote_currency_code"]
    )
    content = _content(
        totals["items"],
        totals.get("shipping_incl_tax"),
        totals.get("discount_amount"),
        totals["grand_total"],
        currency,
        f"cart {quote.get('id')}",
    )
    return InvoiceRequested(
        source_kind=SourceKind.CART,
        external_id=str(int(quote["id"])),
        content=content,
        customer=_customer(email, customer.get("firstname"), customer.get("lastname"), address),
        store_id=store_id,
    )
