"""PayPal Checkout (Orders v2): the payer approves on PayPal, then Paylink captures the order,
when they come back or when PayPal's CHECKOUT.ORDER.APPROVED webhook says so, whichever is
first (the capture is idempotent). Webhooks are verified by PayPal's own verify-webhook-signature
API, so that happens in the job, never inside the webhook request."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from core.clock import utc_now
from core.errors import ValidationError
from core.http import http_session
from core.payments.paypal import mapping
from core.payments.paypal.client import PayPalClient, PayPalRefused
from core.payments.provider import (
    Checkout,
    CheckoutRequest,
    CredentialField,
    EventKind,
    InvalidSignature,
    PaymentMethod,
    ProviderEnvironment,
    ProviderEvent,
)

DEFAULT_API_BASE = "https://api-m.paypal.com"
#: Capture refusals that mean the payer must choose again (their funding source was declined).
DECLINED_ISSUES = frozenset({"INSTRUMENT_DECLINED", "PAYER_ACTION_REQUIRED"})


class PayPalProvider:
    name: ClassVar[str] = "paypal"
    methods: ClassVar[frozenset[PaymentMethod]] = frozenset({PaymentMethod.PAYPAL})
    receives_webhooks: ClassVar[bool] = True
    kept_headers: ClassVar[tuple[str, ...]] = tuple(mapping.TRANSMISSION_HEADERS.values())
    max_body_bytes: ClassVar[int] = 64 * 1024  # a PayPal event carries one resource
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("client_id"),
        CredentialField("client_secret", secret=True),
        CredentialField("webhook_id"),
    )
    settles_on_return: ClassVar[bool] = True
    saves_methods: ClassVar[frozenset[PaymentMethod]] = frozenset()

    def __init__(self, credentials: Mapping[str, Any], environment: ProviderEnvironment) -> None:
        missing = [
            k for k in ("client_id", "client_secret", "webhook_id") if not credentials.get(k)
        ]
        if missing:
            raise ValidationError(f"PayPal needs {', '.join(missing)}")
        self.webhook_id = str(credentials["webhook_id"])
        self.client = PayPalClient(
            environment.api_base_urls.get("paypal", DEFAULT_API_BASE),
            str(credentials["client_id"]),
            str(credentials["client_secret"]),
            http_session(environment.http_timeout_seconds),
        )

    @classmethod
    def complete_credentials(cls, credentials: dict[str, Any]) -> dict[str, Any]:
        return credentials

    @classmethod
    def checkout_origins(cls, environment: ProviderEnvironment) -> frozenset[str]:
        return frozenset({"https://www.paypal.com", "https://www.sandbox.paypal.com"})

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        order = self.client.call(
            "POST", "/v2/checkout/orders", mapping.order_body(request), request.idempotency_key
        )
        return Checkout(redirect_url=mapping.payer_url(order), provider_reference=str(order["id"]))

    def event_key(self, raw_body: bytes, headers: Mapping[str, str], now: datetime) -> str:
        """Only the transmission headers can be checked here: the signature itself is checked
        by PayPal's API, in the job (parse_events)."""
        return mapping.event_key(raw_body, headers)

    def parse_events(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        verdict = self.client.call(
            "POST",
            "/v1/notifications/verify-webhook-signature",
            mapping.verification_body(raw_body, headers, self.webhook_id),
        )
        if verdict.get("verification_status") != "SUCCESS":
            raise InvalidSignature(
                f"PayPal did not verify this delivery ({verdict.get('verification_status')})"
            )
        event = json.loads(raw_body)
        if event.get("event_type") == mapping.ORDER_APPROVED:
            return self.settle_checkout(str(event["resource"]["id"]))
        return mapping.webhook_events(event, utc_now())

    def settle_checkout(self, reference: str) -> list[ProviderEvent]:
        """Capture an approved order (idempotent on PayPal-Request-Id, and an order captured
        already is read back), or report the captures of one that is complete."""
        path = f"/v2/checkout/orders/{quote(reference, safe='')}"
        order = self.client.call("GET", path)
        if order.get("status") == "APPROVED":
            try:
                order = self.client.call(
                    "POST", f"{path}/capture", request_id=f"paylink-capture-{reference}"
                )
            except PayPalRefused as refused:
                if "ORDER_ALREADY_CAPTURED" in refused.issues:
                    order = self.client.call("GET", path)
                elif refused.issues & DECLINED_ISSUES:
                    return [
                        ProviderEvent(EventKind.FAILED, utc_now(), checkout_reference=reference)
                    ]
                else:
                    raise
        return mapping.order_events(order, utc_now())

    def check_connection(self) -> None:
        """A fresh token proves the client id and secret."""
        self.client.forget_token()
        self.client.token()
