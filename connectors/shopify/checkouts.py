"""Shopify abandoned checkouts <-> Paylink, pure: a `checkouts/create|update` body (the REST
Checkout shape) as the cart the core follows, as the invoice an abandoned one asks for, and as
the draft order that becomes the store's paid order once that invoice is paid.

Reaching the customer: an abandoned checkout's email is written to as Shopify's own
abandoned-checkout emails are; an SMS goes only to a buyer who accepted SMS marketing
(`buyer_accepts_sms_marketing`), since a basket reminder is marketing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.shopify.mapping import customer_name
from core.errors import ValidationError
from core.events import CartSeen, CustomerDetails, InvoiceRequested, SourceKind
from core.invoices import InvoiceContent, InvoiceLine, normalise_phone
from core.money import Money, total

CART_TOPICS = frozenset({"checkouts/create", "checkouts/update"})


def checkout_seen(raw_body: str) -> CartSeen:
    """The cart a delivery shows; raises ValueError/KeyError for a body that is not one."""
    checkout = json.loads(raw_body)
    changed = datetime.fromisoformat(str(checkout.get("updated_at") or checkout["created_at"]))
    if changed.tzinfo is None:
        raise ValueError(f"checkout time {changed} has no offset")
    return CartSeen(
        token=str(checkout["token"]),
        changed_at=changed,
        completed=bool(checkout.get("completed_at")),
        body=raw_body,
    )


def _currency(checkout: Mapping[str, Any]) -> str:
    return str(checkout.get("presentment_currency") or checkout["currency"])


def _lines(checkout: Mapping[str, Any], currency: str) -> list[InvoiceLine]:
    """The lines, with the checkout's tax spread over them by amount (a checkout reports its
    tax for the whole basket; the total stays exact)."""
    items = [item for item in checkout.get("line_items") or [] if int(item["quantity"]) > 0]
    prices = [Money.parse(str(item["price"]), currency) for item in items]
    amounts = [price * int(item["quantity"]) for price, item in zip(prices, items, strict=True)]
    tax = Money.parse(str(checkout.get("total_tax") or "0"), currency)
    weights = [amount.minor for amount in amounts]
    taxes = tax.allocate(weights) if sum(weights) else [Money.zero(currency)] * len(items)
    return [
        InvoiceLine(
            label=str(item.get("presentment_title") or item.get("title") or "—")[:500],
            quantity=int(item["quantity"]),
            unit_price=price,
            tax=line_tax,
            sku=item.get("sku") or None,
        )
        for item, price, line_tax in zip(items, prices, taxes, strict=True)
    ]


def _contact(checkout: Mapping[str, Any]) -> tuple[str | None, str | None]:
    customer = checkout.get("customer") or {}
    email = checkout.get("email") or customer.get("email")
    phone = None
    if checkout.get("buyer_accepts_sms_marketing"):
        phone = checkout.get("sms_marketing_phone") or checkout.get("phone")
    return email or None, phone or None


def checkout_invoice(raw_body: str, store_id: int) -> InvoiceRequested | None:
    """The invoice an abandoned checkout asks for, or None when there is nothing to ask or
    nobody to ask it of. Refused when its lines do not add up to Shopify's total."""
    checkout = json.loads(raw_body)
    email, phone = _contact(checkout)
    if not (email or phone) or not checkout.get("line_items"):
        return None
    currency = _currency(checkout)
    content = InvoiceContent(
        currency=currency,
        lines=tuple(_lines(checkout, currency)),
        shipping=_shipping(checkout, currency),
        discount=Money.parse(str(checkout.get("total_discounts") or "0"), currency),
        taxes_included=bool(checkout.get("taxes_included")),
    )
    expected = Money.parse(str(checkout["total_price"]), currency)
    computed = content.totals().total
    if computed != expected:
        raise ValidationError(
            f"checkout {checkout.get('token')}: lines add up to {computed}, Shopify says {expected}"
        )
    if computed.is_zero:
        return None
    return InvoiceRequested(
        source_kind=SourceKind.CART,
        external_id=str(checkout["token"]),
        content=content,
        customer=CustomerDetails(
            name=customer_name(checkout),
            email=email,
            phone=phone,
            locale=checkout.get("customer_locale"),
        ),
        store_id=store_id,
    )


def _money_input(money: Money) -> dict[str, str]:
    return {"amount": money.to_major_string(), "currencyCode": money.currency}


def _money(amount: Any, currency: str) -> dict[str, str]:
    return _money_input(Money.parse(str(amount or "0"), currency))


def _shipping(checkout: Mapping[str, Any], currency: str) -> Money:
    return total(
        [
            Money.parse(str(line.get("price") or "0"), currency)
            for line in checkout.get("shipping_lines") or []
        ],
        currency,
    )


def _phone(raw: Any, country: str | None) -> str | None:
    """A phone Shopify accepts (E.164), or nothing: an address typed as "+1(502)-459-2181"
    would make the whole draft order fail."""
    try:
        return normalise_phone(str(raw), country) if raw else None
    except ValidationError:
        return None


def _address(address: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not address:
        return None
    fields = {
        "firstName": address.get("first_name"),
        "lastName": address.get("last_name"),
        "company": address.get("company"),
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "zip": address.get("zip"),
        "provinceCode": address.get("province_code"),
        "countryCode": address.get("country_code"),
        "phone": _phone(address.get("phone"), address.get("country_code")),
    }
    return {key: str(value) for key, value in fields.items() if value}


def _line_item(item: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """The product itself when Shopify knows its variant, at the price the customer saw;
    otherwise a custom line with the checkout's title and price."""
    price = _money(item.get("price"), currency)
    if item.get("variant_id"):
        return {
            "variantId": f"gid://shopify/ProductVariant/{item['variant_id']}",
            "quantity": int(item["quantity"]),
            "priceOverride": price,
        }
    return {
        "title": str(item.get("title") or "—"),
        "quantity": int(item["quantity"]),
        "originalUnitPriceWithCurrency": price,
        "sku": item.get("sku") or None,
        "requiresShipping": bool(item.get("requires_shipping", True)),
        "taxable": bool(item.get("taxable", True)),
    }


def draft_order_input(raw_body: str, invoice_number: str, link: str) -> dict[str, Any]:
    """`DraftOrderInput` for the checkout the customer paid through our link: its lines,
    customer, addresses, shipping and discount, tagged with the invoice so a retry finds it."""
    checkout = json.loads(raw_body)
    currency = _currency(checkout)
    customer = checkout.get("customer") or {}
    country = (checkout.get("billing_address") or {}).get("country_code")
    draft: dict[str, Any] = {
        "lineItems": [
            _line_item(item, currency)
            for item in checkout.get("line_items") or []
            if int(item["quantity"]) > 0
        ],
        "presentmentCurrencyCode": currency,
        "email": checkout.get("email") or customer.get("email"),
        "phone": _phone(checkout.get("phone") or customer.get("phone"), country),
        "billingAddress": _address(checkout.get("billing_address")),
        "shippingAddress": _address(checkout.get("shipping_address")),
        "note": f"Paid through Paylink, invoice {invoice_number}: {link}",
        "tags": draft_tags(invoice_number),
        "sourceName": "paylink",
    }
    if customer.get("id"):
        draft["purchasingEntity"] = {"customerId": f"gid://shopify/Customer/{customer['id']}"}
    shipping = checkout.get("shipping_lines") or []
    if shipping:
        draft["shippingLine"] = {
            "title": str(shipping[0].get("title") or "Shipping"),
            "priceWithCurrency": _money_input(_shipping(checkout, currency)),
        }
    discount = Money.parse(str(checkout.get("total_discounts") or "0"), currency)
    if not discount.is_zero:
        codes = ", ".join(str(c.get("code")) for c in checkout.get("discount_codes") or [])
        draft["appliedDiscount"] = {
            "title": codes or "Discount",
            "value": float(discount.to_decimal()),
            "valueType": "FIXED_AMOUNT",
            "amountWithCurrency": _money_input(discount),
        }
    return {key: value for key, value in draft.items() if value is not None}


def draft_tags(invoice_number: str) -> list[str]:
    return ["paylink", "paylink-paid", "paylink-cart", f"paylink-{invoice_number}"]
