"""PrestaShop <-> Paylink, pure: what an order (the Webservice's `orders` resource with
`display=full`) asks of Paylink, and the invoice an order or an abandoned cart becomes.

- Not yet valid (not paid) and made through a payment module the merchant invoices (by default
  the Paylink module's own "Pay by link"; bank wire or cheque when they choose): an invoice.
- Valid (its state is logable: paid): settled in the shop. Cancelled, refunded or in payment
  error (the shop's `PS_OS_CANCELED`, `PS_OS_REFUND`, `PS_OS_ERROR`): gone.
- An order finishes the cart it was made from (`cart-<id_cart>`), whatever its module.

Amounts: the Webservice gives six decimals ("15.000000"); unit prices are rounded to the
currency's unit as PrestaShop displays them, and a line whose rounded unit price does not
multiply out to its rounded total is shown as one line naming the quantity. An order whose
parts do not add up to `total_paid_tax_incl` is refused with the difference, never invoiced
wrong. Carts come from the module's signed snapshot (PrestaShop computes their prices).
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from core.errors import MALFORMED_PAYLOAD, ValidationError
from core.events import CartSeen, CustomerDetails, InvoiceRequested, SourceKind
from core.invoices import InvoiceContent, InvoiceLine, normalise_phone
from core.money import Money, minor_unit_exponent
from core.store_changes import CartOrdered, Ignored, OrderSettled, StoreChange, Unusable

#: The Paylink module's own payment option, invoiced until the merchant chooses.
DEFAULT_INVOICE_MODULES = ("paylink",)


@dataclass(frozen=True, slots=True)
class ShopStates:
    """The shop's own order-state ids, read from its configuration (never hard-coded: they
    differ from shop to shop)."""

    payment: int
    closed: frozenset[int]  # cancelled, refunded, payment error


class OrderState(enum.Enum):
    INVOICE = "invoice"
    PAID = "paid"
    GONE = "gone"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Buyer:
    """Who an order's invoice goes to: read from the order's customer and invoice address."""

    name: str
    email: str | None
    phone: str | None
    country: str | None
    locale: str | None
    currency: str
    #: The shop's default currency, when the order is in another one.
    shop_currency: str | None = None
    #: The customer's group ("Professionnels"), as billing rules' customer tags.
    tags: tuple[str, ...] = ()


def cart_token(id_cart: Any) -> str:
    return f"cart-{int(id_cart)}"


def order_state(order: Mapping[str, Any], modules: Iterable[str], states: ShopStates) -> OrderState:
    chosen = {m.strip().lower() for m in modules}
    current = int(order.get("current_state") or 0)
    if current in states.closed:
        return OrderState.GONE
    if str(order.get("valid")) == "1":
        return OrderState.PAID
    if str(order.get("module") or "").lower() in chosen:
        return OrderState.INVOICE
    return OrderState.OTHER


def order_changes(
    order: Mapping[str, Any],
    buyer: Buyer | None,
    store_id: int,
    modules: Iterable[str],
    states: ShopStates,
) -> tuple[StoreChange, ...]:
    """What an order, as the shop has it now, asks of Paylink (`buyer` is read only for an
    order to invoice). Idempotent: the module's event and the poller give the same answer."""
    try:
        order_id = int(order["id"])
        state = order_state(order, modules, states)
        # Only a cart the module reported is touched: a cart event arriving after its order is
        # read against the shop (which names the order), so no row is needed for every order.
        ordered = CartOrdered(cart_token(order["id_cart"]), str(order_id), known_only=True)
        if state == OrderState.INVOICE:
            if buyer is None:
                raise ValueError("the order's customer could not be read")
            return (ordered, order_invoice(order, buyer, store_id))
    except MALFORMED_PAYLOAD as error:
        return (Unusable(f"order {order.get('id')} not usable: {error}"),)
    if state == OrderState.PAID:
        return (ordered, OrderSettled(str(order_id), "paid in the shop"))
    if state == OrderState.GONE:
        return (ordered, OrderSettled(str(order_id), "order cancelled in the shop"))
    return (ordered, Ignored(f"nothing to do (paid through {order.get('module')})"))


def _rounded(value: Any, currency: str) -> Money:
    """A Webservice amount ("8.325000") at the currency's unit, as the shop displays it."""
    exponent = minor_unit_exponent(currency)
    quantum = Decimal(1).scaleb(-exponent)
    return Money.parse(Decimal(str(value or "0")).quantize(quantum, ROUND_HALF_UP), currency)


def _line(label: str, quantity: int, unit_incl: Any, unit_excl: Any, currency: str) -> InvoiceLine:
    """Prices tax included (European shops); the line's tax is what its total includes."""
    line_incl = _rounded(Decimal(str(unit_incl)) * quantity, currency)
    line_excl = _rounded(Decimal(str(unit_excl)) * quantity, currency)
    unit = _rounded(unit_incl, currency)
    tax = line_incl - line_excl
    if unit * quantity == line_incl:
        return InvoiceLine(label[:500], quantity, unit, tax)
    named = f"{label} × {quantity}" if quantity > 1 else label
    return InvoiceLine(named[:500], 1, line_incl, tax)


def _content(
    lines: list[InvoiceLine], shipping: Any, discount: Any, expected: Any, currency: str, name: str
) -> InvoiceContent:
    content = InvoiceContent(
        currency=currency,
        lines=tuple(lines),
        shipping=_rounded(shipping, currency),
        discount=_rounded(discount, currency),
        taxes_included=True,
    )
    computed, said = content.totals().total, _rounded(expected, currency)
    if computed != said:
        raise ValidationError(f"{name}: its parts add up to {computed}, PrestaShop says {said}")
    return content


def _customer(buyer: Buyer) -> CustomerDetails:
    phone = buyer.phone
    if phone:  # read for the buyer's country; left as typed when unreadable
        with contextlib.suppress(ValidationError):
            phone = normalise_phone(phone, buyer.country)
    return CustomerDetails(
        buyer.name, buyer.email or None, phone or None, buyer.locale, tags=buyer.tags
    )


def order_invoice(order: Mapping[str, Any], buyer: Buyer, store_id: int) -> InvoiceRequested:
    currency = buyer.currency
    rows = (order.get("associations") or {}).get("order_rows") or []
    lines = [
        _line(
            str(row.get("product_name") or "—"),
            int(row["product_quantity"]),
            row["unit_price_tax_incl"],
            row["unit_price_tax_excl"],
            currency,
        )
        for row in rows
        if int(row.get("product_quantity") or 0) > 0
    ]
    wrapping = Decimal(str(order.get("total_wrapping_tax_incl") or "0"))
    if wrapping > 0:
        excl = order.get("total_wrapping_tax_excl") or "0"
        label = "Gift wrapping" if (buyer.locale or "").startswith("en") else "Emballage cadeau"
        lines.append(_line(label, 1, wrapping, excl, currency))
    content = _content(
        lines,
        order.get("total_shipping_tax_incl"),
        order.get("total_discounts_tax_incl"),
        order["total_paid_tax_incl"],
        currency,
        f"order {order.get('reference') or order['id']}",
    )
    return InvoiceRequested(
        source_kind=SourceKind.ORDER,
        external_id=str(int(order["id"])),
        content=content,
        customer=_customer(buyer),
        store_id=store_id,
        shop_total=_in_shop_currency(order, buyer, content.totals().total),
    )


def _in_shop_currency(order: Mapping[str, Any], buyer: Buyer, total: Money) -> Money | None:
    """An order in another currency, in the shop's default one at the order's own
    `conversion_rate` (what the default currency was worth in the order's when it was made)."""
    rate = Decimal(str(order.get("conversion_rate") or "1"))
    if buyer.shop_currency is None or buyer.shop_currency == buyer.currency or rate <= 0:
        return None
    exponent = minor_unit_exponent(buyer.shop_currency)
    amount = (total.to_decimal() / rate).quantize(Decimal(1).scaleb(-exponent), ROUND_HALF_UP)
    return Money.parse(amount, buyer.shop_currency)


# Carts: the module's signed snapshot ---------------------------------------------------------


def cart_seen(snapshot: Mapping[str, Any], body: str) -> CartSeen:
    """A cart the module reported; raises a MALFORMED_PAYLOAD error for one that is not."""
    changed = datetime.fromisoformat(str(snapshot["changed_at"]))
    if changed.tzinfo is None:
        raise ValueError(f"cart time {changed} has no offset")
    return CartSeen(cart_token(snapshot["id_cart"]), changed, False, body)


def cart_invoice(snapshot: Mapping[str, Any], store_id: int) -> InvoiceRequested | None:
    """The invoice an abandoned cart asks for; None when nobody can be reached or nothing is
    in it. Refused when its parts do not add up to PrestaShop's total."""
    customer = snapshot.get("customer") or {}
    if not (customer.get("email") or customer.get("phone")) or not snapshot.get("lines"):
        return None
    currency = str(snapshot["currency"])
    lines = [
        _line(
            str(line.get("name") or "—"),
            int(line["quantity"]),
            line["unit_price_tax_incl"],
            line["unit_price_tax_excl"],
            currency,
        )
        for line in snapshot["lines"]
        if int(line.get("quantity") or 0) > 0
    ]
    content = _content(
        lines,
        snapshot.get("shipping_tax_incl"),
        snapshot.get("discounts_tax_incl"),
        snapshot["total_tax_incl"],
        currency,
        f"cart {snapshot.get('id_cart')}",
    )
    name = " ".join(p for p in (customer.get("firstname"), customer.get("lastname")) if p)
    buyer = Buyer(
        name,
        customer.get("email"),
        customer.get("phone"),
        customer.get("country"),
        snapshot.get("language"),
        currency,
    )
    return InvoiceRequested(
        source_kind=SourceKind.CART,
        external_id=str(int(snapshot["id_cart"])),
        content=content,
        customer=_customer(buyer),
        store_id=store_id,
    )


def amount_text(money: Money) -> str:
    """An amount as the Webservice writes it ("59.90")."""
    exponent = minor_unit_exponent(money.currency)
    return str(Decimal(money.minor).scaleb(-exponent))


def in_language(value: Any, language_id: Any) -> str:
    """A multilingual field as the Webservice's JSON gives it (`[{"id": "1", "value": ...}]`,
    or the text itself), in the order's language, else the first one."""
    if not isinstance(value, list):
        return str(value or "")
    texts = [entry for entry in value if isinstance(entry, Mapping)]
    chosen = next((e for e in texts if str(e.get("id")) == str(language_id)), None)
    return str((chosen or (texts[0] if texts else {})).get("value") or "")
