"""The PaymentProvider protocol and the values that cross it.

Providers are stateless translators (the core owns persistence): they turn a checkout request
into a provider call, and a verified webhook body into `ProviderEvent`s. Every provider status
maps to an `EventKind` in one table per provider; anything unknown is IGNORED, never PAID.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from core.errors import PaylinkError
from core.money import Money


class PaymentMethod(enum.StrEnum):
    CARD = "card"  # Visa, Mastercard, Amex; Apple Pay / Google Pay come with hosted card checkouts
    PAYPAL = "paypal"
    BANK_PAY = "bank_pay"  # instant bank payment (open banking)
    INSTALMENTS = "instalments"
    BANK_TRANSFER = "bank_transfer"
    SANDBOX = "sandbox"


class EventKind(enum.StrEnum):
    PAID = "paid"
    PENDING = "pending"
    FAILED = "failed"
    REFUNDED = "refunded"
    IGNORED = "ignored"


class InvalidSignature(PaylinkError):
    """A webhook whose signature does not verify (forged, altered, stale or replayed)."""

    http_status = 400
    code = "invalid_signature"


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, as CSP and checkout origins name sites."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def webhook_url(environment: ProviderEnvironment, provider: str, account_id: int) -> str:
    """Where a provider account's webhooks (or notifications) reach Paylink."""
    return f"{environment.base_url}/webhooks/{provider}/{account_id}"


def body_digest_key(raw_body: bytes) -> str:
    """The inbox key of a signed body that names no event id: it is still stored (and fails in
    processing, where the merchant sees it) instead of being refused and redelivered forever."""
    return "sha256:" + hashlib.sha256(raw_body).hexdigest()


@dataclass(frozen=True, slots=True)
class Instalment:
    """One payment of an instalment plan: how much, and on which day it is taken."""

    due_on: date
    amount: Money


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One setting a provider account needs, as the settings page asks for it. A secret is
    never shown back: only its last characters, and an empty field keeps the stored value."""

    key: str
    secret: bool = False
    many: bool = False  # a list (several webhook secrets while one is rolled)
    optional: bool = False


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    invoice_id: int
    invoice_number: str
    amount: Money
    method: PaymentMethod
    description: str
    customer_email: str | None
    locale: str
    return_url: str
    cancel_url: str
    idempotency_key: str
    customer_name: str = ""
    customer_phone: str | None = None
    #: For PaymentMethod.INSTALMENTS: the schedule shown to the customer, summing to `amount`.
    instalments: tuple[Instalment, ...] = ()
    #: The customer agreed that the method they pay with now pays the next periods of their
    #: subscription: the provider keeps it (a card saved for off-session use, a mandate).
    save_method: bool = False


@dataclass(frozen=True, slots=True)
class Checkout:
    """Where to send the customer, and the provider's id for this checkout."""

    redirect_url: str
    provider_reference: str


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """What one provider event says about money. `checkout_reference` or `payment_reference`
    finds the invoice (through our own checkouts and payments, not the event's metadata)."""

    kind: EventKind
    occurred_at: datetime
    checkout_reference: str | None = None
    payment_reference: str | None = None
    amount: Money | None = None
    refund_reference: str | None = None
    method: str | None = None
    #: Why a payment failed, as the provider codes it ("insufficient_funds"), when it says.
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SavedMethod:
    """A payment method the customer agreed to have charged again: the provider's reference
    to charge it (opaque to the core, kept encrypted) and how people recognise it."""

    reference: str
    label: str  # "Visa •••• 4242", "BNP PARIBAS •• 11"


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    """Charge a saved method for one invoice, without the customer (the next period of their
    subscription). The idempotency key is the invoice's: a retried job is the same charge."""

    invoice_id: int
    invoice_number: str
    amount: Money
    description: str
    saved_reference: str
    idempotency_key: str


class PaymentProvider(Protocol):
    name: ClassVar[str]

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Create a fresh hosted checkout for one visit (sessions expire; our link does not)."""

    def event_key(self, raw_body: bytes, headers: Mapping[str, str], now: datetime) -> str:
        """Verify a webhook on its raw body and return the provider's unique key for it
        (raises InvalidSignature). Called inside the webhook request: no outbound call, so a
        provider whose signatures can only be checked by calling it verifies in parse_events."""

    def parse_events(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        """Translate a stored body into events, in a job: it may call the provider to verify
        the delivery (raising InvalidSignature) or to re-fetch a resource whose notifications
        are not signed. `headers` are the ones the provider asked to keep (`kept_headers`)."""

    def settle_checkout(self, reference: str) -> list[ProviderEvent]:
        """Ask the provider, server-side, what became of one of our checkouts, completing it
        where the provider needs us to (PayPal's capture). Run in a job when the customer comes
        back from a provider whose `settles_on_return` is true; webhooks remain the other way."""

    def check_connection(self) -> None:
        """One cheap authenticated call, so the merchant learns now that the credentials work
        (raises OutsideServiceFailed with the provider's own message)."""


class SavesPaymentMethods(Protocol):
    """A provider whose factory names `saves_methods`: it keeps a method the customer agreed
    to, and charges it later without them."""

    def saved_method(self, checkout_reference: str) -> SavedMethod | None:
        """What a paid checkout made with `save_method` kept, read from the provider (None if
        it kept nothing usable: the customer paid with a method that cannot be reused)."""

    def charge_saved(self, request: ChargeRequest) -> ProviderEvent:
        """Charge the saved method: PAID, PENDING (a debit takes days; its events follow) or
        FAILED with the provider's reason. Both references are the charge's payment id."""


class ProviderFactory(Protocol):
    """A provider class, as its entry point names it: its capabilities are data, readable
    without credentials, and calling it with an account's credentials gives the provider."""

    name: str
    methods: frozenset[PaymentMethod]
    receives_webhooks: bool
    #: Request headers stored with a webhook body, for providers that verify in the job.
    kept_headers: tuple[str, ...]
    #: The largest webhook body the provider really sends; a larger one is refused unread
    #: (bodies some providers can only verify in the job must not fill the database).
    max_body_bytes: int
    settles_on_return: bool
    credential_fields: tuple[CredentialField, ...]
    #: The methods whose checkouts can keep the customer's means of payment for the next
    #: periods of a subscription (the provider then implements `SavesPaymentMethods`).
    saves_methods: frozenset[PaymentMethod]

    def checkout_origins(self, environment: ProviderEnvironment) -> frozenset[str]:
        """Origins the payment page may send customers to (its CSP form-action)."""

    def complete_credentials(self, credentials: dict[str, Any]) -> dict[str, Any]:
        """The credentials to store, with anything the provider makes itself added."""

    def __call__(
        self, credentials: Mapping[str, Any], environment: ProviderEnvironment
    ) -> PaymentProvider: ...


@dataclass(frozen=True)
class ProviderEnvironment:
    """What providers get from the instance: where Paylink is, its signing key, and the
    provider API base URLs (configurable so sandboxes and local fakes can stand in)."""

    base_url: str
    secret_key: str
    api_base_urls: Mapping[str, str]
    http_timeout_seconds: float = 10.0
    #: One more checkout origin per provider, named by the operator (staging, local fakes).
    extra_checkout_origins: Mapping[str, str] = field(default_factory=dict)
    #: Providers this instance refuses to use (the sandbox in production, unless enabled).
    disabled_providers: frozenset[str] = frozenset()
