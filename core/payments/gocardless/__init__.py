"""GoCardless instant bank pay: a Billing Request with a payment request, and a Billing
Request Flow whose `authorisation_url` the customer follows to pay from their bank.

Webhook deliveries are HMAC-signed (checked in the request); their events only name
resources, so the job fetches each payment, billing request or refund and trusts what it read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from core.clock import utc_now
from core.errors import ValidationError
from core.http import http_session
from core.payments.gocardless import mapping
from core.payments.gocardless.client import GoCardlessClient
from core.payments.payouts import Payout
from core.payments.provider import (
    ChargeRequest,
    Checkout,
    CheckoutRequest,
    CredentialField,
    EventKind,
    PaymentMethod,
    ProviderEnvironment,
    ProviderEvent,
    SavedMethod,
)

DEFAULT_API_BASE = "https://api.gocardless.com"


class GoCardlessProvider:
    name: ClassVar[str] = "gocardless"
    methods: ClassVar[frozenset[PaymentMethod]] = frozenset({PaymentMethod.BANK_PAY})
    receives_webhooks: ClassVar[bool] = True
    kept_headers: ClassVar[tuple[str, ...]] = ()
    max_body_bytes: ClassVar[int] = 512 * 1024  # GoCardless batches events into one delivery
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("access_token", secret=True),
        CredentialField("webhook_secrets", secret=True, many=True),
    )
    settles_on_return: ClassVar[bool] = True
    saves_methods: ClassVar[frozenset[PaymentMethod]] = frozenset({PaymentMethod.BANK_PAY})

    def __init__(self, credentials: Mapping[str, Any], environment: ProviderEnvironment) -> None:
        token = str(credentials.get("access_token", ""))
        secrets = [str(s) for s in credentials.get("webhook_secrets", []) if s]
        if not token or not secrets:
            raise ValidationError("GoCardless needs an access_token and webhook_secrets")
        self.webhook_secrets = secrets
        base = environment.api_base_urls.get("gocardless", DEFAULT_API_BASE)
        self.client = GoCardlessClient(base, token, http_session(environment.http_timeout_seconds))

    @classmethod
    def complete_credentials(cls, credentials: dict[str, Any]) -> dict[str, Any]:
        return credentials

    @classmethod
    def checkout_origins(cls, environment: ProviderEnvironment) -> frozenset[str]:
        return frozenset({"https://pay.gocardless.com", "https://pay-sandbox.gocardless.com"})

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        billing_request = self.client.create(
            "billing_requests", mapping.billing_request(request), request.idempotency_key
        )
        flow = self.client.create(
            "billing_request_flows",
            mapping.billing_request_flow(request, str(billing_request["id"])),
            request.idempotency_key + "-flow",
        )
        return Checkout(str(flow["authorisation_url"]), str(billing_request["id"]))

    def event_key(self, raw_body: bytes, headers: Mapping[str, str], now: datetime) -> str:
        mapping.verify(raw_body, headers.get(mapping.SIGNATURE_HEADER), self.webhook_secrets)
        return mapping.event_key(raw_body)

    def parse_events(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        """Fetch what the delivery's events name, each resource once, and read it."""
        named = mapping.named_resources(mapping.webhook_events(raw_body))
        events: list[ProviderEvent] = []
        for billing_request_id in named["billing_requests"]:
            events += self.settle_checkout(billing_request_id)
        for payment_id in named["payments"]:
            payment = self.client.get("payments", quote(payment_id, safe=""))
            events.append(mapping.payment_event(payment, None, utc_now()))
        for refund_id in named["refunds"]:
            refund = self.client.get("refunds", quote(refund_id, safe=""))
            events.append(mapping.refund_event(refund, utc_now()))
        return events

    def settle_checkout(self, reference: str) -> list[ProviderEvent]:
        """Read the billing request: fulfilled, its payment says the rest; cancelled, the
        customer gave up; anything else, nothing yet."""
        billing_request = self.client.get("billing_requests", quote(reference, safe=""))
        payment_id = billing_request.get("links", {}).get("payment_request_payment")
        if billing_request.get("status") == "fulfilled" and payment_id:
            payment = self.client.get("payments", quote(payment_id, safe=""))
            return [mapping.payment_event(payment, reference, utc_now())]
        if billing_request.get("status") in mapping.ABANDONED_REQUESTS:
            return [ProviderEvent(EventKind.FAILED, utc_now(), checkout_reference=reference)]
        return []

    def saved_method(self, checkout_reference: str) -> SavedMethod | None:
        """The mandate the billing request set up, named by the account it debits."""
        billing_request = self.client.get("billing_requests", quote(checkout_reference, safe=""))
        mandate_id = billing_request.get("links", {}).get("mandate_request_mandate")
        if not mandate_id:
            return None
        mandate = self.client.get("mandates", quote(str(mandate_id), safe=""))
        if mandate.get("status") in mapping.DEAD_MANDATES:
            return None
        account_id = str(mandate.get("links", {}).get("customer_bank_account", ""))
        account = self.client.get("customer_bank_accounts", quote(account_id, safe=""))
        return mapping.saved_mandate(mandate, account)

    def charge_saved(self, request: ChargeRequest) -> ProviderEvent:
        """A payment against the mandate: pending until the debit is collected (days), then
        its events say confirmed or failed."""
        payment = self.client.create(
            "payments", mapping.mandate_payment(request), request.idempotency_key
        )
        return mapping.payment_event(payment, str(payment["id"]), utc_now())

    def check_connection(self) -> None:
        self.client.list_one("creditors")

    #: What a bank shows of a GoCardless payout: the sender's name (and the payout reference).
    statement_names: ClassVar[tuple[str, ...]] = ("GOCARDLESS",)

    def payouts(self, since: date) -> Iterator[Payout]:
        """Payouts created from the day before `since` (they arrive a working day or more
        later), each with its items, oldest first."""
        created_from = datetime.combine(since - timedelta(days=1), time(), tzinfo=UTC)
        found = list(
            self.client.list_all(
                "payouts", {"created_at[gte]": created_from.isoformat().replace("+00:00", "Z")}
            )
        )
        for payout in sorted(found, key=lambda item: str(item.get("created_at"))):
            items = list(self.client.list_all("payout_items", {"payout": str(payout["id"])}))
            yield mapping.payout_of(payout, items)
