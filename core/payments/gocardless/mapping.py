"""GoCardless <-> Paylink, pure: the billing request and its flow for an instant bank payment,
the webhook signature, and what a fetched payment or refund says.

Webhook events carry no amounts and no status, only links, so the provider fetches what they
name and this module reads the fetched resources. One table maps payment statuses to ours;
anything not in it (a status added later) is IGNORED, never PAID. A payment `charged_back`
(the customer disputed the debit with their bank) has given the money back: it is applied as
a refund of the whole payment, so the invoice stops counting it as paid.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from core.errors import MALFORMED_PAYLOAD, ValidationError
from core.money import Money
from core.payments.payouts import Payout, PayoutPayment, PayoutStatus
from core.payments.provider import (
    ChargeRequest,
    CheckoutRequest,
    EventKind,
    InvalidSignature,
    ProviderEvent,
    SavedMethod,
    body_digest_key,
)

#: "Instant Bank Pay supports GBP and EUR" (developer.gocardless.com, instant bank payment).
INSTANT_PAY_CURRENCIES = frozenset({"GBP", "EUR"})
SIGNATURE_HEADER = "Webhook-Signature"
PAYMENT_STATUSES: dict[str, EventKind] = {
    "pending_customer_approval": EventKind.PENDING,
    "pending_submission": EventKind.PENDING,
    "submitted": EventKind.PENDING,
    "confirmed": EventKind.PAID,
    "paid_out": EventKind.PAID,
    "failed": EventKind.FAILED,
    "cancelled": EventKind.FAILED,
    "customer_approval_denied": EventKind.FAILED,
}
#: Billing request statuses that end it without a payment.
ABANDONED_REQUESTS = frozenset({"cancelled"})


class InvalidGoCardlessSignature(InvalidSignature):
    """GoCardless documents 498 Token Invalid as the answer to a bad signature."""

    http_status = 498


def billing_request(request: CheckoutRequest) -> dict[str, Any]:
    if request.amount.currency not in INSTANT_PAY_CURRENCIES:
        raise ValidationError(f"GoCardless instant bank pay takes GBP or EUR, not {request.amount}")
    fields: dict[str, Any] = {
        "payment_request": {
            "description": request.description[:255],
            "amount": request.amount.minor,
            "currency": request.amount.currency,
        },
        "metadata": {
            "invoice_id": str(request.invoice_id),
            "invoice_number": request.invoice_number,
        },
    }
    if request.save_method:
        # A Direct Debit mandate set up with this payment, for the next periods; both requests
        # share the currency, and GoCardless picks the scheme from it.
        fields["mandate_request"] = {"currency": request.amount.currency}
    return fields


def saved_mandate(mandate: Mapping[str, Any], bank_account: Mapping[str, Any]) -> SavedMethod:
    """A mandate, named as the customer knows the account it debits (bank, last digits)."""
    ending = bank_account.get("account_number_ending") or ""
    label = f"{bank_account.get('bank_name') or ''} •• {ending}".strip()
    return SavedMethod(str(mandate["id"]), label)


#: Mandate statuses under which no payment can be taken any more.
DEAD_MANDATES = frozenset({"cancelled", "failed", "expired", "consumed", "blocked"})


def mandate_payment(request: ChargeRequest) -> dict[str, Any]:
    """POST /payments against the saved mandate: collected at the earliest charge date."""
    return {
        "amount": request.amount.minor,
        "currency": request.amount.currency,
        "description": request.description[:255],
        "links": {"mandate": request.saved_reference},
        "metadata": {
            "invoice_id": str(request.invoice_id),
            "invoice_number": request.invoice_number,
        },
    }


def billing_request_flow(request: CheckoutRequest, billing_request_id: str) -> dict[str, Any]:
    given, _, family = request.customer_name.strip().partition(" ")
    prefilled = {"given_name": given, "family_name": family, "email": request.customer_email}
    return {
        "redirect_uri": request.return_url,
        "exit_uri": request.cancel_url,
        "language": request.locale.split("_")[0],
        "links": {"billing_request": billing_request_id},
        "prefilled_customer": {k: v for k, v in prefilled.items() if v},
    }


def verify(raw_body: bytes, signature: str | None, secrets: Sequence[str]) -> None:
    """`Webhook-Signature` is the hex HMAC-SHA256 of the raw body; every secret is tried, so a
    secret can be rolled without losing deliveries."""
    if not signature:
        raise InvalidGoCardlessSignature("missing Webhook-Signature header")
    for secret in secrets:
        expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, signature.strip()):
            return
    raise InvalidGoCardlessSignature("signature does not match")


def event_key(raw_body: bytes) -> str:
    """One delivery carries up to 250 events; GoCardless retries it under the same webhook id."""
    try:
        return "webhook:" + str(json.loads(raw_body)["meta"]["webhook_id"])
    except MALFORMED_PAYLOAD:
        return body_digest_key(raw_body)


def webhook_events(raw_body: bytes) -> list[dict[str, Any]]:
    events = json.loads(raw_body)["events"]
    if not isinstance(events, list):
        raise TypeError("events is not a list")
    return events


#: The events worth a fetch, per resource type, and the link naming what to fetch.
#: Billing requests are read when they end (a payment exists, or never will).
FETCHED_EVENTS: dict[str, tuple[frozenset[str] | None, str]] = {
    "billing_requests": (frozenset({"fulfilled", "cancelled", "failed"}), "billing_request"),
    "payments": (None, "payment"),  # any payment action: its fetched status decides
    "refunds": (None, "refund"),
}


def named_resources(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Ids to fetch per resource type, each once, in the order the delivery names them."""
    named: dict[str, list[str]] = {resource_type: [] for resource_type in FETCHED_EVENTS}
    for event in events:
        resource_type = event["resource_type"]
        if resource_type not in FETCHED_EVENTS:
            continue
        actions, link = FETCHED_EVENTS[resource_type]
        resource_id = str(event["links"][link])
        if (actions is None or event["action"] in actions) and resource_id not in named[
            resource_type
        ]:
            named[resource_type].append(resource_id)
    return named


def _at(resource: Mapping[str, Any], now: datetime) -> datetime:
    value = resource.get("created_at")
    if not value:
        return now
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def payment_event(
    payment: Mapping[str, Any], billing_request_id: str | None, now: datetime
) -> ProviderEvent:
    if payment.get("status") == "charged_back":
        return ProviderEvent(
            kind=EventKind.REFUNDED,
            occurred_at=now,
            payment_reference=str(payment["id"]),
            refund_reference=f"{payment['id']}:charged_back",
            amount=Money(int(payment["amount"]), str(payment["currency"])),
        )
    kind = PAYMENT_STATUSES.get(str(payment.get("status")), EventKind.IGNORED)
    return ProviderEvent(
        kind=kind,
        occurred_at=now,  # when we read it: a GoCardless payment carries only its charge date
        checkout_reference=billing_request_id,
        payment_reference=str(payment["id"]),
        amount=Money(int(payment["amount"]), str(payment["currency"]))
        if kind == EventKind.PAID
        else None,
        method="bank_pay",
    )


def refund_event(refund: Mapping[str, Any], now: datetime) -> ProviderEvent:
    if refund.get("status") != "paid":
        return ProviderEvent(kind=EventKind.IGNORED, occurred_at=now)
    return ProviderEvent(
        kind=EventKind.REFUNDED,
        occurred_at=_at(refund, now),
        payment_reference=str(refund["links"]["payment"]),
        refund_reference=str(refund["id"]),
        amount=Money(int(refund["amount"]), str(refund["currency"])),
    )


#: GoCardless's payout statuses: a payout that bounced never reached the bank.
PAYOUT_STATUSES = {
    "pending": PayoutStatus.PENDING,
    "paid": PayoutStatus.PAID,
    "bounced": PayoutStatus.FAILED,
}
#: Payout items that take a fee off a payment (their amounts are negative).
FEE_ITEMS = frozenset({"gocardless_fee", "app_fee"})


def _minor(value: object) -> int:
    """A payout item's amount: minor units as a string with one decimal ("1000.0", "-20.5"),
    rounded to a whole minor unit, half to even, as the payout itself is."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def payout_of(payout: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> Payout:
    """A payout and its items: each `payment_paid_out` is a payment Paylink recorded under
    its PM id, and the fee items that name the same payment are its fee."""
    currency = str(payout["currency"])
    fees: dict[str, int] = {}
    paid: dict[str, int] = {}
    for item in items:
        payment = (item.get("links") or {}).get("payment")
        if not payment:
            continue
        if item.get("type") == "payment_paid_out":
            paid[str(payment)] = paid.get(str(payment), 0) + _minor(item["amount"])
        elif item.get("type") in FEE_ITEMS:
            fees[str(payment)] = fees.get(str(payment), 0) - _minor(item["amount"])
    return Payout(
        payout_id=str(payout["id"]),
        amount=Money(int(payout["amount"]), currency),
        arrival_on=date.fromisoformat(str(payout["arrival_date"])),
        status=PAYOUT_STATUSES.get(str(payout.get("status")), PayoutStatus.PENDING),
        payments=tuple(
            PayoutPayment(payment, Money(gross, currency), Money(fees.get(payment, 0), currency))
            for payment, gross in paid.items()
        ),
        fees=Money(int(payout.get("deducted_fees") or 0), currency),
        bank_reference=payout.get("reference") or None,
    )
