"""PayPlug <-> Paylink, pure: the payment and instalment-plan bodies, the notification's key,
and what a fetched payment, refund or plan says.

PayPlug's notifications are not signed: they only tell which resource to fetch, and only the
fetched resource is believed (`is_paid`), as PayPlug's own libraries do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from core.errors import MALFORMED_PAYLOAD, ValidationError
from core.money import Money
from core.payments.provider import CheckoutRequest, EventKind, InvalidSignature, ProviderEvent

CURRENCIES = frozenset({"EUR"})
NOTIFIED_OBJECTS = frozenset({"payment", "refund", "installment_plan"})


def _person(request: CheckoutRequest) -> dict[str, Any]:
    first, _, last = request.customer_name.strip().partition(" ")
    person = {
        "first_name": first or None,
        "last_name": last or first or None,
        "email": request.customer_email,
        "mobile_phone_number": request.customer_phone,
        "language": request.locale.split("_")[0],
    }
    return {key: value for key, value in person.items() if value}


def _common(request: CheckoutRequest, notification_url: str) -> dict[str, Any]:
    if request.amount.currency not in CURRENCIES:
        raise ValidationError(f"PayPlug takes EUR only, not {request.amount.currency}")
    person = _person(request)
    return {
        "currency": request.amount.currency,
        "billing": person,
        "shipping": {**person, "delivery_type": "BILLING"},
        "hosted_payment": {"return_url": request.return_url, "cancel_url": request.cancel_url},
        "notification_url": notification_url,
        "metadata": {
            "invoice_id": str(request.invoice_id),
            "invoice_number": request.invoice_number,
        },
    }


def payment_body(request: CheckoutRequest, notification_url: str) -> dict[str, Any]:
    """POST /v1/payments: the amount due now, in cents."""
    return {"amount": request.amount.minor, **_common(request, notification_url)}


def installment_plan_body(request: CheckoutRequest, notification_url: str) -> dict[str, Any]:
    """POST /v1/installment_plans: the schedule the customer was shown, day by day."""
    if sum(part.amount.minor for part in request.instalments) != request.amount.minor:
        raise ValidationError("the instalments do not add up to the amount due")
    schedule = [
        {"date": part.due_on.isoformat(), "amount": part.amount.minor}
        for part in request.instalments
    ]
    return {"schedule": schedule, **_common(request, notification_url)}


def notified_resource(raw_body: bytes) -> tuple[str, str]:
    """(object, id) of a notification; anything else is not PayPlug talking."""
    try:
        notification = json.loads(raw_body)
        kind, resource_id = str(notification["object"]), str(notification["id"])
    except MALFORMED_PAYLOAD:
        raise InvalidSignature("not a PayPlug notification") from None
    if kind not in NOTIFIED_OBJECTS or not resource_id.isascii() or "/" in resource_id:
        raise InvalidSignature(f"not a PayPlug notification ({kind!r})")
    return kind, resource_id


def refund_path(raw_body: bytes) -> str:
    """Where a refund is read back: under the payment its notification names."""
    notification = json.loads(raw_body)
    payment_id, refund_id = (quote(str(notification[k]), safe="") for k in ("payment_id", "id"))
    return f"/v1/payments/{payment_id}/refunds/{refund_id}"


def event_key(raw_body: bytes) -> str:
    """The resource and a digest of this notification: each distinct notification is fetched
    once, and a fake one costs a fetch and changes nothing."""
    kind, resource_id = notified_resource(raw_body)
    return f"{kind}:{resource_id}:{hashlib.sha256(raw_body).hexdigest()[:16]}"


def _at(timestamp: Any, now: datetime) -> datetime:
    return datetime.fromtimestamp(int(timestamp), UTC) if timestamp else now


def payment_event(payment: Mapping[str, Any], now: datetime) -> ProviderEvent:
    """A fetched payment; one taken for an instalment plan belongs to the plan's checkout."""
    if payment.get("is_paid"):
        kind = EventKind.PAID
    elif payment.get("failure"):
        kind = EventKind.FAILED
    else:
        kind = EventKind.PENDING
    paid_at = payment.get("paid_at") or payment.get("hosted_payment", {}).get("paid_at")
    return ProviderEvent(
        kind=kind,
        occurred_at=_at(paid_at, now),
        checkout_reference=str(payment.get("installment_plan_id") or payment["id"]),
        payment_reference=str(payment["id"]),
        amount=Money(int(payment["amount"]), str(payment["currency"]))
        if kind == EventKind.PAID
        else None,
        method="card",
    )


def refund_event(refund: Mapping[str, Any], now: datetime) -> ProviderEvent:
    return ProviderEvent(
        kind=EventKind.REFUNDED,
        occurred_at=_at(refund.get("created_at"), now),
        payment_reference=str(refund["payment_id"]),
        refund_reference=str(refund["id"]),
        amount=Money(int(refund["amount"]), str(refund["currency"])),
    )


def plan_payment_ids(plan: Mapping[str, Any]) -> list[str]:
    return [str(pid) for part in plan.get("schedule", []) for pid in part.get("payment_ids", [])]


def plan_abandoned(plan: Mapping[str, Any]) -> bool:
    """A plan stopped before it was fully paid (aborted by the merchant or failed)."""
    return not plan.get("is_active", True) and not plan.get("is_fully_paid", False)
