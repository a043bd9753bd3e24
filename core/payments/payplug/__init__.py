"""PayPlug (French PSP): hosted card payments, and instalment plans whose first payment the
customer makes on PayPlug's page and the rest PayPlug takes on the schedule's dates.

Notifications are unsigned, so the job re-fetches what one names and believes only that.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

from core.clock import utc_now
from core.errors import ValidationError
from core.http import http_session
from core.instalments import InstalmentTerms
from core.payments.payplug import mapping
from core.payments.payplug.client import PayPlugClient
from core.payments.provider import (
    Checkout,
    CheckoutRequest,
    CredentialField,
    EventKind,
    PaymentMethod,
    ProviderEnvironment,
    ProviderEvent,
    webhook_url,
)

DEFAULT_API_BASE = "https://api.payplug.com"


class PayPlugProvider:
    name: ClassVar[str] = "payplug"
    methods: ClassVar[frozenset[PaymentMethod]] = frozenset(
        {PaymentMethod.CARD, PaymentMethod.INSTALMENTS}
    )
    receives_webhooks: ClassVar[bool] = True
    kept_headers: ClassVar[tuple[str, ...]] = ()
    max_body_bytes: ClassVar[int] = (
        16 * 1024
    )  # a PayPlug notification names one resource (it is re-read)
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("secret_key", secret=True),
        CredentialField("instalments", optional=True),
        CredentialField("instalment_interval_days", optional=True),
        CredentialField("instalment_minimum", optional=True),
    )
    settles_on_return: ClassVar[bool] = True
    saves_methods: ClassVar[frozenset[PaymentMethod]] = frozenset()

    def __init__(self, credentials: Mapping[str, Any], environment: ProviderEnvironment) -> None:
        secret_key = str(credentials.get("secret_key", ""))
        if not secret_key.startswith(("sk_test_", "sk_live_")):
            raise ValidationError("PayPlug needs a secret key starting with sk_test_ or sk_live_")
        InstalmentTerms.from_settings(credentials)  # refuses unusable instalment terms
        self.notification_url = webhook_url(environment, self.name, int(credentials["account_id"]))
        base = environment.api_base_urls.get("payplug", DEFAULT_API_BASE)
        self.client = PayPlugClient(
            base, secret_key, http_session(environment.http_timeout_seconds)
        )

    @classmethod
    def complete_credentials(cls, credentials: dict[str, Any]) -> dict[str, Any]:
        return credentials

    @classmethod
    def checkout_origins(cls, environment: ProviderEnvironment) -> frozenset[str]:
        return frozenset({"https://secure.payplug.com"})

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        if request.method == PaymentMethod.INSTALMENTS:
            body = mapping.installment_plan_body(request, self.notification_url)
            created = self.client.post("/v1/installment_plans", body)
        else:
            created = self.client.post(
                "/v1/payments", mapping.payment_body(request, self.notification_url)
            )
        return Checkout(str(created["hosted_payment"]["payment_url"]), str(created["id"]))

    def event_key(self, raw_body: bytes, headers: Mapping[str, str], now: datetime) -> str:
        return mapping.event_key(raw_body)

    def parse_events(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        kind, resource_id = mapping.notified_resource(raw_body)
        if kind == "refund":
            refund = self.client.get(mapping.refund_path(raw_body))
            return [mapping.refund_event(refund, utc_now())]
        return self.settle_checkout(resource_id)

    def settle_checkout(self, reference: str) -> list[ProviderEvent]:
        """A payment, or every payment of an instalment plan so far (and whether the plan
        was abandoned), read from PayPlug."""
        if not reference.startswith("inst_"):
            payment = self.client.get(f"/v1/payments/{quote(reference, safe='')}")
            return [mapping.payment_event(payment, utc_now())]
        plan = self.client.get(f"/v1/installment_plans/{quote(reference, safe='')}")
        events = [
            mapping.payment_event(self.client.get(f"/v1/payments/{quote(pid, safe='')}"), utc_now())
            for pid in mapping.plan_payment_ids(plan)
        ]
        if mapping.plan_abandoned(plan):
            events.append(ProviderEvent(EventKind.FAILED, utc_now(), checkout_reference=reference))
        return events

    def check_connection(self) -> None:
        self.client.get("/v1/payments?per_page=1")
