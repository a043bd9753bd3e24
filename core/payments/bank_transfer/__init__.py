"""Bank transfer (SEPA credit transfer): the merchant's IBAN, an ISO 11649 "RF" creditor
reference per invoice, and for EUR an EPC QR code ("GiroCode") a banking app can scan.

There is no hosted checkout and no webhook: choosing the method shows Paylink's own transfer
page, and the money is recorded when a bank statement is reconciled or the merchant marks it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import segno.helpers
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.iso7064 import mod_97_10

from core.errors import ValidationError
from core.money import Money
from core.payments.provider import (
    Checkout,
    CheckoutRequest,
    CredentialField,
    InvalidSignature,
    PaymentMethod,
    ProviderEnvironment,
    ProviderEvent,
    origin_of,
)

REFERENCE_BODY_MAX = 21  # RF + 2 check digits + at most 21 alphanumerics


def creditor_reference(invoice_number: str) -> str:
    """ISO 11649 reference for an invoice number: F-2026-000123 -> RF..F2026000123."""
    body = re.sub(r"[^0-9A-Za-z]", "", invoice_number).upper()[-REFERENCE_BODY_MAX:]
    if not body:
        raise ValidationError(f"invoice number {invoice_number!r} has nothing to reference")
    return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def grouped(reference: str) -> str:
    """Printed in groups of four, as banks show it: RF18 5390 0754 7034."""
    return " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))


@dataclass(frozen=True)
class TransferDetails:
    beneficiary: str
    iban: str
    bic: str | None

    @property
    def iban_grouped(self) -> str:
        return str(IBAN(self.iban).formatted)


def transfer_details(credentials: Mapping[str, Any]) -> TransferDetails:
    """Validated bank details: the IBAN's checksum and country format, the BIC's shape."""
    try:
        iban = IBAN(str(credentials.get("iban", "")))
        bic = BIC(str(credentials["bic"])) if credentials.get("bic") else None
    except SchwiftyException as error:
        raise ValidationError(f"bank details are not valid: {error}") from None
    beneficiary = str(credentials.get("beneficiary", "")).strip()
    if not 1 <= len(beneficiary) <= 70:
        raise ValidationError("the beneficiary name is 1 to 70 characters")
    return TransferDetails(beneficiary, str(iban.compact), str(bic.compact) if bic else None)


def epc_qr_svg(details: TransferDetails, amount: Money, reference: str) -> str | None:
    """The EPC069-12 QR code as inline SVG, for EUR only (it carries no other currency)."""
    if amount.currency != "EUR" or amount.minor <= 0:
        return None
    qr = segno.helpers.make_epc_qr(
        name=details.beneficiary,
        iban=details.iban,
        bic=details.bic,
        amount=amount.to_decimal(),
        reference=reference,
        encoding="utf-8",
    )
    return str(qr.svg_inline(scale=4, border=2, title="EPC QR"))


class BankTransferProvider:
    name: ClassVar[str] = "bank_transfer"
    methods: ClassVar[frozenset[PaymentMethod]] = frozenset({PaymentMethod.BANK_TRANSFER})
    kept_headers: ClassVar[tuple[str, ...]] = ()
    max_body_bytes: ClassVar[int] = 0  # no webhooks
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("beneficiary"),
        CredentialField("iban"),
        CredentialField("bic", optional=True),
    )
    settles_on_return: ClassVar[bool] = False
    saves_methods: ClassVar[frozenset[PaymentMethod]] = frozenset()
    receives_webhooks: ClassVar[bool] = False

    def __init__(self, credentials: Mapping[str, Any], environment: ProviderEnvironment) -> None:
        self.details = transfer_details(credentials)

    @classmethod
    def complete_credentials(cls, credentials: dict[str, Any]) -> dict[str, Any]:
        return credentials

    @classmethod
    def checkout_origins(cls, environment: ProviderEnvironment) -> frozenset[str]:
        return frozenset({origin_of(environment.base_url)})

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """The "checkout" is Paylink's own page with the transfer details."""
        return Checkout(f"{request.cancel_url}/transfer", f"bt_{secrets.token_hex(10)}")

    def event_key(self, raw_body: bytes, headers: Mapping[str, str], now: datetime) -> str:
        raise InvalidSignature("bank transfers have no webhooks: statements confirm them")

    def parse_events(self, raw_body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        return []

    def settle_checkout(self, reference: str) -> list[ProviderEvent]:
        """A transfer is settled by a bank statement or by hand, never by asking."""
        return []

    def check_connection(self) -> None:
        """No API: the bank details (IBAN checksum, BIC) were validated when it was built."""
