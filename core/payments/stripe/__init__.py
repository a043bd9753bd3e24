"""Stripe Checkout: hosted card payments, with Apple Pay and Google Pay where the customer's
device has them (no extra code: they come with the hosted page)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from core.clock import utc_now
from core.errors import OutsideServiceFailed, ValidationError
from core.http import http_session
from core.payments import signatures
from core.payments.payouts import Payout
from core.payments.provider import (
    ChargeRequest,
    Checkout,
    CheckoutRequest,
    CredentialField,
    PaymentMethod,
    ProviderEnvironment,
    ProviderEvent,
    SavedMethod,
)
from core.payments.stripe import mapping
from core.payments.stripe.client import StripeClient

DEFAULT_API_BASE = "https://api.stripe.com"


class StripeProvider:
    name: ClassVar[str] = "stripe"
    methods: ClassVar[frozenset[PaymentMethod]] = frozenset({PaymentMethod.CARD})
    receives_webhooks: ClassVar[bool] = True
    kept_headers: ClassVar[tuple[str, ...]] = ()
    max_body_bytes: ClassVar[int] = 256 * 1024  # Stripe's events carry one object, not expanded
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("secret_key", secret=True),
        CredentialField("webhook_secrets", secret=True, many=True),
    )
    settles_on_return: ClassVar[bool] = True
    saves_methods: ClassVar[frozenset[PaymentMethod]] = frozenset({PaymentMethod.CARD})

    def __init__(self, credentials: Mapping[str, Any], environment: ProviderEnvironment) -> None:
        secret_key = credentials.get("secret_key", "")
        if not str(secret_key).startswith(("sk_", "rk_")):
            raise ValidationError("Stripe needs a secret key starting with sk_ or rk_")
        self.webhook_secrets = [str(s) for s in credentials.get("webhook_secrets", [])]
        base = environment.api_base_urls.get("stripe", DEFAULT_API_BASE)
        self.client = StripeClient(base, secret_key, http_session(environment.http_timeout_seconds))

    @classmethod
    def complete_credentials(cls, credentials: dict[str, Any]) -> dict[str, Any]:
        return credentials

    @classmethod
    def checkout_origins(cls, environment: ProviderEnvironment) -> frozenset[str]:
        return frozenset({"https://checkout.stripe.com"})

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        form = mapping.checkout_form(request, utc_now())
        session = self.client.post("/v1/checkout/sessions", form, request.idempotency_key)
        if not session.get("url") or not session.get("id"):
            raise OutsideServiceFailed("Stripe answered without a checkout URL")
        return Checkout(redirect_url=session["url"], provider_reference=session["id"])

    def event_key(self, raw_body: bytes, headers: Mapping[str, str], now: datetime) -> str:
        signatures.verify(raw_body, headers.get("Stripe-Signature"), self.webhook_secrets, now)
        return mapping.event_key(raw_body)

    def parse_events(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        return mapping.parse_event(raw_body)

    def settle_checkout(self, reference: str) -> list[ProviderEvent]:
        """Read the session back, so a lost webhook does not leave a paid invoice open."""
        session = self.client.get(f"/v1/checkout/sessions/{quote(reference, safe='')}")
        return [mapping.fetched_session_event(session, utc_now())]

    def saved_method(self, checkout_reference: str) -> SavedMethod | None:
        session = self.client.get(
            f"/v1/checkout/sessions/{quote(checkout_reference, safe='')}"
            "?expand[]=payment_intent.payment_method"
        )
        return mapping.saved_card(session)

    def charge_saved(self, request: ChargeRequest) -> ProviderEvent:
        """One PaymentIntent, created and confirmed off-session; retried under the same key,
        Stripe answers what it answered the first time (a refusal included)."""
        accepted, body = self.client.charge(mapping.charge_form(request), request.idempotency_key)
        if accepted:
            return mapping.intent_event(body, utc_now())
        return mapping.refused_charge_event(body, utc_now())

    def check_connection(self) -> None:
        self.client.get("/v1/balance")

    #: What a bank shows of a Stripe payout: the sender, or the default statement descriptor.
    statement_names: ClassVar[tuple[str, ...]] = ("STRIPE",)

    def payouts(self, since: date) -> Iterator[Payout]:
        """Payouts arriving from `since`, each with the balance transactions it settled (the
        `payout` filter lists an automatic payout's contents), oldest first."""
        midnight = int(datetime.combine(since, time(), tzinfo=UTC).timestamp())
        found = list(self._pages("/v1/payouts", {"arrival_date[gte]": str(midnight)}))
        for payout in sorted(found, key=lambda item: int(item["arrival_date"])):
            transactions = list(
                self._pages(
                    "/v1/balance_transactions",
                    {"payout": str(payout["id"]), "expand[]": "data.source"},
                )
            )
            yield mapping.payout_of(payout, transactions)

    def _pages(self, path: str, query: dict[str, str]) -> Iterator[dict[str, Any]]:
        """Every object of a Stripe list, page after page (`starting_after` the last id)."""
        after: str | None = None
        while True:
            page_query = {**query, "limit": "100", **({"starting_after": after} if after else {})}
            page = self.client.get(f"{path}?{urlencode(page_query)}")
            items = page.get("data") or []
            yield from items
            if not page.get("has_more") or not items:
                return
            after = str(items[-1]["id"])
