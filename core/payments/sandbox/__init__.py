"""The sandbox provider: a local hosted checkout where a tester pays, fails, or leaves a payment
pending, and which then sends Paylink a signed webhook exactly as a real provider would. It is
the default, so a first run pays invoices end to end with no account anywhere."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from core.clock import utc_now
from core.errors import MALFORMED_PAYLOAD
from core.links import TokenPurpose, TokenSigner
from core.money import Money
from core.payments import signatures
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
    body_digest_key,
    origin_of,
)

SIGNATURE_HEADER = "Paylink-Sandbox-Signature"
#: The card the sandbox pretends to keep (Stripe's test card's last digits).
SAVED_CARD_LABEL = "Visa •••• 4242"
CHECKOUT_LIFETIME_SECONDS = 3600
OUTCOMES: dict[str, EventKind] = {
    "payment.succeeded": EventKind.PAID,
    "payment.pending": EventKind.PENDING,
    "payment.failed": EventKind.FAILED,
}


@dataclass(frozen=True)
class SandboxSession:
    """What the sandbox checkout page needs, carried in its signed URL."""

    account_id: int
    reference: str
    invoice_number: str
    amount_minor: int
    currency: str
    description: str
    return_url: str
    cancel_url: str
    #: The customer's language (fr or en), as on the payment page they came from.
    locale: str = "fr"
    #: The customer agreed to keep the card for their subscription's next periods.
    save_method: bool = False


def sandbox_event(session: SandboxSession, outcome: str, now: datetime) -> bytes:
    """The webhook body the sandbox sends for an outcome the tester chose."""
    event = {
        "id": f"evt_sbx_{secrets.token_hex(8)}",
        "type": outcome,
        "created": int(now.timestamp()),
        "data": {
            "checkout": session.reference,
            "payment": f"pay_sbx_{secrets.token_hex(8)}",
            "amount": session.amount_minor,
            "currency": session.currency,
        },
    }
    return json.dumps(event, separators=(",", ":")).encode()


class SandboxProvider:
    name: ClassVar[str] = "sandbox"
    methods: ClassVar[frozenset[PaymentMethod]] = frozenset({PaymentMethod.SANDBOX})
    kept_headers: ClassVar[tuple[str, ...]] = ()
    max_body_bytes: ClassVar[int] = 8 * 1024  # our own sandbox sends one small event
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    settles_on_return: ClassVar[bool] = False
    saves_methods: ClassVar[frozenset[PaymentMethod]] = frozenset({PaymentMethod.SANDBOX})
    receives_webhooks: ClassVar[bool] = True

    def __init__(self, credentials: Mapping[str, Any], environment: ProviderEnvironment) -> None:
        self.account_id = int(credentials["account_id"])
        self.webhook_secret = str(credentials["webhook_secret"])
        self.base_url = environment.base_url
        self.signer = TokenSigner(environment.secret_key)

    @classmethod
    def complete_credentials(cls, credentials: dict[str, Any]) -> dict[str, Any]:
        """The sandbox signs its own webhooks: it makes their secret on first configuration."""
        return {"webhook_secret": "whsec_sbx_" + secrets.token_urlsafe(24), **credentials}

    @classmethod
    def checkout_origins(cls, environment: ProviderEnvironment) -> frozenset[str]:
        return frozenset({origin_of(environment.base_url)})

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        session = SandboxSession(
            account_id=self.account_id,
            reference=f"cs_sbx_{secrets.token_hex(10)}",
            invoice_number=request.invoice_number,
            amount_minor=request.amount.minor,
            currency=request.amount.currency,
            description=request.description,
            return_url=request.return_url,
            cancel_url=request.cancel_url,
            locale=request.locale,
            save_method=request.save_method,
        )
        token = self.signer.sign(TokenPurpose.SANDBOX_CHECKOUT, asdict(session))
        return Checkout(f"{self.base_url}/sandbox/checkout/{token}", session.reference)

    def event_key(self, raw_body: bytes, headers: Mapping[str, str], now: datetime) -> str:
        signatures.verify(raw_body, headers.get(SIGNATURE_HEADER), [self.webhook_secret], now)
        try:
            return str(json.loads(raw_body)["id"])
        except MALFORMED_PAYLOAD:
            return body_digest_key(raw_body)

    def parse_events(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        event = json.loads(raw_body)
        data = event["data"]
        kind = OUTCOMES.get(event["type"], EventKind.IGNORED)
        return [
            ProviderEvent(
                kind=kind,
                occurred_at=datetime.fromtimestamp(int(event["created"]), UTC),
                checkout_reference=data["checkout"],
                payment_reference=data["payment"],
                amount=Money(int(data["amount"]), data["currency"])
                if kind == EventKind.PAID
                else None,
                method="sandbox",
            )
        ]

    def settle_checkout(self, reference: str) -> list[ProviderEvent]:
        """Nothing to ask: the sandbox's signed webhook is its only word, as with a provider
        whose API cannot be queried."""
        return []

    def saved_method(self, checkout_reference: str) -> SavedMethod | None:
        """The sandbox keeps a test card for every checkout that asked it to."""
        return SavedMethod(f"pm_sbx_{checkout_reference}", SAVED_CARD_LABEL)

    def charge_saved(self, request: ChargeRequest) -> ProviderEvent:
        """A test card always pays; the payment's id follows from the idempotency key, so a
        retried charge is the same payment, as at a real provider."""
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:16]
        return ProviderEvent(
            kind=EventKind.PAID,
            occurred_at=utc_now(),
            checkout_reference=f"pay_sbx_{digest}",
            payment_reference=f"pay_sbx_{digest}",
            amount=request.amount,
            method="sandbox",
        )

    def check_connection(self) -> None:
        """The sandbox runs inside Paylink: nothing to reach."""
