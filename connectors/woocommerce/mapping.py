"""WooCommerce <-> Paylink, pure: what an order (the REST v3 order, which is also the webhook
payload) asks of Paylink, and the invoice it becomes.

- Waiting for payment (`pending`, `on-hold`) through a method the merchant chose (by default
  bank transfer and cheque: the customer gets our link to pay at once instead): an invoice now.
- `pending` or `failed` through another method: a lost checkout (WooCommerce has no cart
  webhook; this is the honest equivalent), followed as a cart and recovered with our link once
  it has sat unchanged for the merchant's delay.
- `processing` or `completed`: paid in the store; `cancelled`, `refunded`, `trash`: gone.

REST amounts are before tax whatever the shop's display setting: line subtotals (before
coupons) and their tax, shipping and fees with theirs, the coupons as `discount_total`.
"""

from __future__ import annotations

import contextlib
import enum
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from core.errors import MALFORMED_PAYLOAD, ValidationError
from core.events import CartSeen, CustomerDetails, InvoiceRequested, SourceKind
from core.invoices import InvoiceContent, InvoiceLine, normalise_phone
from core.money import Money, total
from core.store_changes import CartOrdered, Ignored, OrderSettled, StoreChange, StoreRef, Unusable

DEFAULT_INVOICE_METHODS = ("bacs", "cheque")


class OrderState(enum.Enum):
    INVOICE = "invoice"  # to pay through one of the merchant's methods: invoice it now
    LOST = "lost"  # to pay through another method, maybe abandoned: follow it as a cart
    PAID = "paid"  # paid in the store
    GONE = "gone"  # cancelled, refunded, deleted
    OTHER = "other"  # drafts and anything else: nothing to do


def order_state(order: Mapping[str, Any], methods: Iterable[str]) -> OrderState:
    status = str(order.get("status") or "")
    chosen = {m.strip().lower() for m in methods}
    if status in ("pending", "on-hold") and str(order.get("payment_method")).lower() in chosen:
        return OrderState.INVOICE
    if status in ("pending", "failed"):
        return OrderState.LOST
    if status in ("processing", "completed"):
        return OrderState.PAID
    if status in ("cancelled", "refunded", "trash"):
        return OrderState.GONE
    return OrderState.OTHER


def cart_token(order_id: Any) -> str:
    """A lost checkout is followed as a cart named after its order (one record in the store)."""
    return f"order-{order_id}"


def order_changes(order: Mapping[str, Any], store: StoreRef) -> tuple[StoreChange, ...]:
    """What an order, as the store has it now, asks of Paylink (idempotent: the webhook and
    the poller apply the same order the same way)."""
    try:
        order_id = order["id"]
        state = order_state(order, store.invoice_gateways or DEFAULT_INVOICE_METHODS)
        token = cart_token(order_id)
        if state == OrderState.INVOICE:
            request = order_invoice(order, store.id, SourceKind.ORDER)
            return (CartOrdered(token, None, known_only=True), request)
        if state == OrderState.LOST:
            return (CartSeen(token, changed_at(order), False, json.dumps(order)),)
    except MALFORMED_PAYLOAD as error:
        return (Unusable(f"order {order.get('id')} not usable: {error}"),)
    status = order.get("status")
    if state == OrderState.PAID:
        return (OrderSettled(str(order_id), f"paid in the store ({status})", token),)
    if state == OrderState.GONE:
        return (OrderSettled(str(order_id), f"order {status} in the store", token),)
    return (Ignored(f"nothing to do ({status})"),)


def order_deleted(order_id: int) -> tuple[StoreChange, ...]:
    """The store no longer has the order (deleted for good)."""
    return (OrderSettled(str(order_id), "order deleted in the store", cart_token(order_id)),)


def changed_at(order: Mapping[str, Any]) -> datetime:
    """When the store last changed the order (`date_modified_gmt`, UTC without an offset)."""
    raw = str(order.get("date_modified_gmt") or order["date_created_gmt"])
    return datetime.fromisoformat(raw).replace(tzinfo=UTC)


def _money(value: Any, currency: str) -> Money:
    return Money.parse(str(value or "0"), currency)


def _line(label: str, quantity: int, amount: Money, tax: Money) -> InvoiceLine:
    """A line whose amount the quantity divides exactly, else one line naming the quantity."""
    if quantity > 1 and amount.minor % quantity == 0:
        return InvoiceLine(label, quantity, Money(amount.minor // quantity, amount.currency), tax)
    named = f"{label} × {quantity}" if quantity > 1 else label
    return InvoiceLine(named[:500], 1, amount, tax)


def _customer(order: Mapping[str, Any]) -> CustomerDetails:
    billing = order.get("billing") or {}
    name = " ".join(p for p in (billing.get("first_name"), billing.get("last_name")) if p)
    phone = billing.get("phone") or None
    if phone:
        # Read for the customer's billing country; left as typed when unreadable (the core
        # then says what is wrong with it).
        with contextlib.suppress(ValidationError):
            phone = normalise_phone(str(phone), billing.get("country") or None)
    return CustomerDetails(name=name, email=billing.get("email") or None, phone=phone)


def order_invoice(order: Mapping[str, Any], store_id: int, kind: SourceKind) -> InvoiceRequested:
    """The invoice for an order (`kind` ORDER, or CART for a lost checkout); refused when its
    parts do not add up to WooCommerce's total."""
    currency = str(order["currency"])
    lines = [
        _line(
            str(item.get("name") or "—"),
            int(item["quantity"]),
            _money(item.get("subtotal"), currency),
            _money(item.get("total_tax"), currency),
        )
        for item in order.get("line_items") or []
        if int(item.get("quantity") or 0) > 0
    ]
    discount = _money(order.get("discount_total"), currency)
    for fee in order.get("fee_lines") or []:
        amount = _money(fee.get("total"), currency)
        if amount.is_negative:  # a negative fee is a discount
            discount = discount - amount
        else:
            lines.append(
                _line(
                    str(fee.get("name") or "—"), 1, amount, _money(fee.get("total_tax"), currency)
                )
            )
    content = InvoiceContent(
        currency=currency,
        lines=tuple(lines),
        shipping=total(
            [
                _money(order.get("shipping_total"), currency),
                _money(order.get("shipping_tax"), currency),
            ],
            currency,
        ),
        discount=discount,
        taxes_included=False,
    )
    expected = _money(order.get("total"), currency)
    computed = content.totals().total
    if computed != expected:
        raise ValidationError(
            f"order {order.get('number')}: its parts add up to {computed}, "
            f"WooCommerce says {expected}"
        )
    return InvoiceRequested(
        source_kind=kind,
        external_id=str(order["id"]),
        content=content,
        customer=_customer(order),
        store_id=store_id,
    )


def reachable(order: Mapping[str, Any]) -> bool:
    billing = order.get("billing") or {}
    return bool(billing.get("email") or billing.get("phone"))
