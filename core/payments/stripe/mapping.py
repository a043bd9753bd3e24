"""Stripe <-> Paylink, pure: amounts, the checkout session form, and events.

One table maps Stripe's event types (and checkout payment statuses) to ours; anything not in it
is IGNORED, so a new Stripe event can never mark an invoice paid by accident.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from core.errors import MALFORMED_PAYLOAD, ValidationError
from core.money import Money
from core.payments.payouts import Payout, PayoutPayment, PayoutStatus
from core.payments.provider import (
    ChargeRequest,
    CheckoutRequest,
    EventKind,
    ProviderEvent,
    SavedMethod,
    body_digest_key,
)

#: Currencies whose Stripe amount differs from ISO minor units: ISK is zero-decimal in ISO 4217
#: but Stripe still takes it times 100 (https://stripe.com/docs/currencies).
STRIPE_EXTRA_DIGITS = {"ISK": 2}
STRIPE_LOCALES = {"fr": "fr", "en": "en"}
CHECKOUT_LIFETIME_SECONDS = 3600

SESSION_EVENTS: dict[tuple[str, str | None], EventKind] = {
    ("checkout.session.completed", "paid"): EventKind.PAID,
    ("checkout.session.completed", "unpaid"): EventKind.PENDING,  # async method: wait for it
    ("checkout.session.async_payment_succeeded", None): EventKind.PAID,
    ("checkout.session.async_payment_failed", None): EventKind.FAILED,
}


def to_stripe_amount(amount: Money) -> int:
    extra = STRIPE_EXTRA_DIGITS.get(amount.currency, 0)
    if amount.exponent == 3 and amount.minor % 10:
        # Stripe's three-decimal currencies must end in 0.
        raise ValidationError(f"Stripe cannot charge {amount}: the last digit must be 0")
    return amount.minor * 10**extra


def from_stripe_amount(value: int, currency: str) -> Money:
    code = currency.upper()
    extra = STRIPE_EXTRA_DIGITS.get(code, 0)
    return Money(value // 10**extra, code)


def checkout_form(request: CheckoutRequest, now: datetime) -> dict[str, str]:
    """The form body of POST /v1/checkout/sessions: one line for what is due now."""
    form = {
        "mode": "payment",
        "line_items[0][price_data][currency]": request.amount.currency.lower(),
        "line_items[0][price_data][unit_amount]": str(to_stripe_amount(request.amount)),
        "line_items[0][price_data][product_data][name]": request.description,
        "line_items[0][quantity]": "1",
        "success_url": request.return_url,
        "cancel_url": request.cancel_url,
        "client_reference_id": str(request.invoice_id),
        "metadata[invoice_id]": str(request.invoice_id),
        "metadata[invoice_number]": request.invoice_number,
        "payment_intent_data[metadata][invoice_id]": str(request.invoice_id),
        "expires_at": str(int(now.timestamp()) + CHECKOUT_LIFETIME_SECONDS),
        "locale": STRIPE_LOCALES.get(request.locale.split("_")[0], "auto"),
    }
    if request.customer_email:
        form["customer_email"] = request.customer_email
    if request.save_method:
        # The card is kept on a Customer of its own for off-session charges; Stripe's page
        # tells the customer so, beside the consent they gave on ours.
        form["payment_intent_data[setup_future_usage]"] = "off_session"
        form["customer_creation"] = "always"
    return form


#: How people write the card networks Stripe names (`card.brand`); others are capitalised.
CARD_BRANDS = {
    "amex": "American Express",
    "cartes_bancaires": "CB",
    "diners": "Diners Club",
    "jcb": "JCB",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
}
#: Marks the PaymentIntents Paylink creates off-session, so their own events are read (a
#: checkout's PaymentIntent is read through its session's events instead).
AUTOPAY_METADATA = "paylink_autopay"


def saved_card(session: Mapping[str, Any]) -> SavedMethod | None:
    """The card a completed session kept (fetched with its PaymentIntent's payment method
    expanded): its Customer and PaymentMethod, both needed to charge it off-session."""
    intent = session.get("payment_intent")
    method = intent.get("payment_method") if isinstance(intent, Mapping) else None
    customer = session.get("customer")
    if isinstance(customer, Mapping):
        customer = customer.get("id")
    if not customer or not isinstance(method, Mapping) or method.get("type") != "card":
        return None
    card = method.get("card") or {}
    brand = str(card.get("brand") or "")
    name = CARD_BRANDS.get(brand, brand.replace("_", " ").title())
    label = f"{name} •••• {card.get('last4', '')}".strip()
    return SavedMethod(f"{customer} {method['id']}", label)


def charge_form(request: ChargeRequest) -> dict[str, str]:
    """POST /v1/payment_intents: charge the saved card now, the customer away."""
    customer, method = request.saved_reference.split(" ", 1)
    return {
        "amount": str(to_stripe_amount(request.amount)),
        "currency": request.amount.currency.lower(),
        "customer": customer,
        "payment_method": method,
        "off_session": "true",
        "confirm": "true",
        "description": request.description,
        "metadata[invoice_id]": str(request.invoice_id),
        "metadata[invoice_number]": request.invoice_number,
        f"metadata[{AUTOPAY_METADATA}]": "1",
    }


#: A PaymentIntent's statuses as the outcome of an off-session charge.
INTENT_STATUSES = {
    "succeeded": EventKind.PAID,
    "processing": EventKind.PENDING,
    "requires_payment_method": EventKind.FAILED,
    "requires_action": EventKind.FAILED,  # the bank wants the customer: they pay by link
    "canceled": EventKind.FAILED,
}


def intent_event(intent: Mapping[str, Any], at: datetime) -> ProviderEvent:
    """What an off-session PaymentIntent says, answered to its creation or sent in an event."""
    kind = INTENT_STATUSES.get(str(intent.get("status")), EventKind.IGNORED)
    error = intent.get("last_payment_error") or {}
    return ProviderEvent(
        kind=kind,
        occurred_at=at,
        checkout_reference=str(intent["id"]),
        payment_reference=str(intent["id"]),
        amount=from_stripe_amount(int(intent["amount_received"]), str(intent["currency"]))
        if kind == EventKind.PAID
        else None,
        method="card",
        reason=(error.get("decline_code") or error.get("code"))
        if kind == EventKind.FAILED
        else None,
    )


def refused_charge_event(error: Mapping[str, Any], at: datetime) -> ProviderEvent:
    """A 402 answer to an off-session charge (a card error): declined, or the bank asks for
    the customer (`authentication_required`). The error names its PaymentIntent."""
    intent = error.get("payment_intent") or {}
    reference = str(intent["id"]) if intent.get("id") else None
    return ProviderEvent(
        kind=EventKind.FAILED,
        occurred_at=at,
        checkout_reference=reference,
        payment_reference=reference,
        method="card",
        reason=str(error.get("decline_code") or error.get("code") or "card_error"),
    )


def event_key(raw_body: bytes) -> str:
    try:
        return str(json.loads(raw_body)["id"])
    except MALFORMED_PAYLOAD:
        return body_digest_key(raw_body)


def _at(event: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(event.get("created", 0)), UTC)


def session_event(kind: str, session: dict[str, Any], at: datetime) -> ProviderEvent:
    """What a Checkout Session says, whether an event carried it or we fetched it."""
    status = session.get("payment_status") if kind == "checkout.session.completed" else None
    mapped = SESSION_EVENTS.get((kind, status), EventKind.IGNORED)
    return ProviderEvent(
        kind=mapped,
        occurred_at=at,
        checkout_reference=session["id"],
        payment_reference=session.get("payment_intent"),
        amount=from_stripe_amount(session["amount_total"], session["currency"])
        if mapped == EventKind.PAID
        else None,
        method="card",
    )


def fetched_session_event(session: dict[str, Any], now: datetime) -> ProviderEvent:
    """A session fetched from the API reads as the event its state would have sent: a complete
    session as checkout.session.completed; an open or expired one says nothing yet."""
    kind = "checkout.session.completed" if session.get("status") == "complete" else "open"
    return session_event(kind, session, now)


#: Stripe's own events for a refund (its Refund object), sent whatever the pinned API version
#: (`client.STRIPE_VERSION`); a refund counts once it has succeeded, by its id.
REFUND_EVENTS = frozenset({"refund.created", "refund.updated"})


def _refund_event(refund: Mapping[str, Any]) -> ProviderEvent:
    return ProviderEvent(
        kind=EventKind.REFUNDED,
        occurred_at=datetime.fromtimestamp(int(refund["created"]), UTC),
        payment_reference=str(refund["payment_intent"]),
        refund_reference=str(refund["id"]),
        amount=from_stripe_amount(refund["amount"], refund["currency"]),
    )


def parse_event(raw_body: bytes) -> list[ProviderEvent]:
    event = json.loads(raw_body)
    kind: str = event["type"]
    obj: dict[str, Any] = event["data"]["object"]
    if kind.startswith("checkout.session."):
        return [session_event(kind, obj, _at(event))]
    if kind.startswith("payment_intent.") and (obj.get("metadata") or {}).get(AUTOPAY_METADATA):
        return [intent_event(obj, _at(event))]
    if kind in REFUND_EVENTS:
        return [_refund_event(obj)] if obj.get("status") == "succeeded" else []
    if kind == "charge.refunded":
        # Since API version 2022-11-15 a charge carries its refunds only when the endpoint
        # expands them; the refund.* events above always name each refund.
        refunds = obj.get("refunds") or {}
        return [_refund_event(r) for r in refunds.get("data", []) if r["status"] == "succeeded"]
    return [ProviderEvent(kind=EventKind.IGNORED, occurred_at=_at(event))]


#: Stripe's payout statuses; a payout shown `paid` may still fail later, and then says so.
PAYOUT_STATUSES = {
    "pending": PayoutStatus.PENDING,
    "in_transit": PayoutStatus.IN_TRANSIT,
    "paid": PayoutStatus.PAID,
    "failed": PayoutStatus.FAILED,
    "canceled": PayoutStatus.FAILED,
}
#: Balance transactions that are a customer's payment (a Charge, or a Payment for some methods).
PAYMENT_TYPES = frozenset({"charge", "payment"})


def payout_of(payout: Mapping[str, Any], transactions: Sequence[Mapping[str, Any]]) -> Payout:
    """A payout and the balance transactions it settled (`expand[]=data.source`): each charge's
    PaymentIntent is the id Paylink recorded the payment under."""
    currency = str(payout["currency"])
    payments = []
    fees = 0
    for transaction in transactions:
        fees += int(transaction.get("fee") or 0)
        source = transaction.get("source")
        if transaction.get("type") not in PAYMENT_TYPES or not isinstance(source, Mapping):
            continue
        intent = source.get("payment_intent")
        if isinstance(intent, Mapping):
            intent = intent.get("id")
        if not intent:
            continue
        payments.append(
            PayoutPayment(
                str(intent),
                from_stripe_amount(int(transaction["amount"]), str(transaction["currency"])),
                from_stripe_amount(int(transaction.get("fee") or 0), str(transaction["currency"])),
            )
        )
    trace = payout.get("trace_id") or {}
    return Payout(
        payout_id=str(payout["id"]),
        amount=from_stripe_amount(int(payout["amount"]), currency),
        arrival_on=datetime.fromtimestamp(int(payout["arrival_date"]), UTC).date(),
        status=PAYOUT_STATUSES.get(str(payout.get("status")), PayoutStatus.PENDING),
        payments=tuple(payments),
        fees=from_stripe_amount(fees, currency),
        bank_reference=trace.get("value") if trace.get("status") == "supported" else None,
    )
