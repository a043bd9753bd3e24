"""PayPal <-> Paylink, pure: amounts as decimal strings, the Orders v2 body, the link to send the
payer to, and what orders, captures and webhook events say.

One table maps capture statuses to ours and one maps webhook event types; anything not in them
is IGNORED, so nothing new at PayPal can mark an invoice paid by accident.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from core.errors import MALFORMED_PAYLOAD, ValidationError
from core.money import Money
from core.payments.provider import (
    CheckoutRequest,
    EventKind,
    InvalidSignature,
    ProviderEvent,
    body_digest_key,
)

#: Currencies PayPal takes without decimals although ISO 4217 gives them two
#: (developer.paypal.com/reference/currency-codes: "does not support decimals").
PAYPAL_EXPONENTS = {"HUF": 0, "TWD": 0}
PAYPAL_LOCALES = {"fr": "fr-FR", "en": "en-GB"}
TRANSMISSION_HEADERS = {
    "auth_algo": "PAYPAL-AUTH-ALGO",
    "cert_url": "PAYPAL-CERT-URL",
    "transmission_id": "PAYPAL-TRANSMISSION-ID",
    "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
    "transmission_time": "PAYPAL-TRANSMISSION-TIME",
}
CAPTURE_STATUSES: dict[str, EventKind] = {
    "COMPLETED": EventKind.PAID,
    "PENDING": EventKind.PENDING,
    "DECLINED": EventKind.FAILED,
    "FAILED": EventKind.FAILED,
}
#: Webhook events whose resource is a capture; its own status decides, through the table above.
CAPTURE_EVENTS = frozenset(
    {
        "PAYMENT.CAPTURE.COMPLETED",
        "PAYMENT.CAPTURE.PENDING",
        "PAYMENT.CAPTURE.DENIED",
        "PAYMENT.CAPTURE.DECLINED",
    }
)
ORDER_APPROVED = "CHECKOUT.ORDER.APPROVED"
CAPTURE_REFUNDED = "PAYMENT.CAPTURE.REFUNDED"


def to_paypal_amount(amount: Money) -> dict[str, str]:
    exponent = PAYPAL_EXPONENTS.get(amount.currency, amount.exponent)
    shift = amount.exponent - exponent
    if amount.minor % 10**shift:
        raise ValidationError(f"PayPal takes {amount.currency} in whole units only, not {amount}")
    return {"currency_code": amount.currency, "value": f"{amount.to_decimal():.{exponent}f}"}


def from_paypal_amount(amount: Mapping[str, Any]) -> Money:
    return Money.parse(str(amount["value"]), str(amount["currency_code"]))


def order_body(request: CheckoutRequest) -> dict[str, Any]:
    """POST /v2/checkout/orders: one purchase unit for what is due now, paid through PayPal's
    hosted approval page (payment_source.paypal.experience_context)."""
    return {
        "intent": "CAPTURE",
        "purchase_units": [
            {
                "reference_id": request.invoice_number,
                "custom_id": str(request.invoice_id),
                "description": request.description[:127],
                "amount": to_paypal_amount(request.amount),
            }
        ],
        "payment_source": {
            "paypal": {
                "experience_context": {
                    "return_url": request.return_url,
                    "cancel_url": request.cancel_url,
                    "user_action": "PAY_NOW",
                    "shipping_preference": "NO_SHIPPING",
                    "locale": PAYPAL_LOCALES.get(request.locale.split("_")[0], "en-GB"),
                }
            }
        },
    }


def payer_url(order: Mapping[str, Any]) -> str:
    """Where the payer approves: the `payer-action` link (or `approve` on older answers)."""
    links = {link.get("rel"): link.get("href") for link in order.get("links", [])}
    url = links.get("payer-action") or links.get("approve")
    if not url:
        raise ValidationError("PayPal answered an order without a payer-action link")
    return str(url)


def _when(value: str | None, fallback: datetime) -> datetime:
    if not value:
        return fallback
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def capture_event(capture: Mapping[str, Any], order_id: str | None, now: datetime) -> ProviderEvent:
    kind = CAPTURE_STATUSES.get(str(capture.get("status")), EventKind.IGNORED)
    return ProviderEvent(
        kind=kind,
        occurred_at=_when(capture.get("update_time") or capture.get("create_time"), now),
        checkout_reference=order_id,
        payment_reference=str(capture["id"]),
        amount=from_paypal_amount(capture["amount"]) if kind == EventKind.PAID else None,
        method="paypal",
    )


def order_events(order: Mapping[str, Any], now: datetime) -> list[ProviderEvent]:
    """The captures of a fetched or captured order, one event each."""
    return [
        capture_event(capture, str(order["id"]), now)
        for unit in order.get("purchase_units", [])
        for capture in unit.get("payments", {}).get("captures", [])
    ]


def event_key(raw_body: bytes, headers: Mapping[str, str]) -> str:
    """The inbox key of a delivery not yet verified (PayPal verifies only through its API, in
    the job): the event id with a digest of this transmission, so that a forged delivery
    naming a real event id can never shadow the genuine one."""
    missing = [name for name in TRANSMISSION_HEADERS.values() if not headers.get(name)]
    if missing:
        raise InvalidSignature(f"missing PayPal transmission headers: {', '.join(missing)}")
    digest = hashlib.sha256(
        headers["PAYPAL-TRANSMISSION-ID"].encode()
        + b"|"
        + headers["PAYPAL-TRANSMISSION-SIG"].encode()
        + b"|"
        + raw_body
    ).hexdigest()[:32]
    try:
        return f"{json.loads(raw_body)['id']}:{digest}"[:255]
    except MALFORMED_PAYLOAD:
        return body_digest_key(raw_body)


def verification_body(raw_body: bytes, headers: Mapping[str, str], webhook_id: str) -> bytes:
    """POST /v1/notifications/verify-webhook-signature: the transmission headers, our webhook
    id, and the event exactly as received (re-serialising it can change what was signed)."""
    fields = {field: headers.get(header, "") for field, header in TRANSMISSION_HEADERS.items()}
    fields["webhook_id"] = webhook_id
    envelope = json.dumps(fields, separators=(",", ":"))
    return envelope[:-1].encode() + b',"webhook_event":' + raw_body.strip() + b"}"


def refund_event(refund: Mapping[str, Any], now: datetime) -> ProviderEvent:
    """A refund names its capture through its `up` link (.../v2/payments/captures/<id>)."""
    links = {link.get("rel"): str(link.get("href", "")) for link in refund.get("links", [])}
    capture_id = links.get("up", "").rstrip("/").rsplit("/", 1)[-1]
    if refund.get("status") != "COMPLETED" or not capture_id:
        return ProviderEvent(kind=EventKind.IGNORED, occurred_at=now)
    return ProviderEvent(
        kind=EventKind.REFUNDED,
        occurred_at=_when(refund.get("update_time") or refund.get("create_time"), now),
        payment_reference=capture_id,
        refund_reference=str(refund["id"]),
        amount=from_paypal_amount(refund["amount"]),
    )


def webhook_events(event: Mapping[str, Any], now: datetime) -> list[ProviderEvent]:
    """Events of a verified webhook, except CHECKOUT.ORDER.APPROVED, which asks for a capture
    (the caller does it) rather than saying anything about money."""
    kind = str(event["event_type"])
    resource: Mapping[str, Any] = event["resource"]
    if kind in CAPTURE_EVENTS:
        order_id = resource.get("supplementary_data", {}).get("related_ids", {}).get("order_id")
        return [capture_event(resource, order_id, now)]
    if kind == CAPTURE_REFUNDED:
        return [refund_event(resource, now)]
    return [ProviderEvent(kind=EventKind.IGNORED, occurred_at=now)]
