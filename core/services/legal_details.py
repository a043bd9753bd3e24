"""What the merchant's invoice documents must say of the seller: legal name, SIREN, VAT
number, address, legal form and capital, late-payment penalty rate. Checked when entered."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.business_buyer import checked_siren, checked_vat
from core.errors import NotFound, ValidationError
from core.invoice_document import Party
from core.services.context import ServiceContext
from core.storage.models import Merchant

#: A late-payment penalty rate above this (percent a year) is a typing mistake.
HIGHEST_PENALTY_RATE = Decimal(100)


@dataclass(frozen=True, slots=True)
class LegalDetails:
    legal_name: str | None = None
    siren: str | None = None
    vat_number: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    legal_mentions: str | None = None
    penalty_rate: str | None = None  # percent a year, as typed ("12,15" or "12.15")
    attach_documents: bool = False  # emails asking for payment carry the invoice's PDF


def _clean(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


def _rate(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    try:
        rate = Decimal(value.strip().replace(",", ".").rstrip("%").strip())
    except InvalidOperation:
        raise ValidationError(f"{value!r} is not a rate", key="penalty_rate") from None
    if not 0 <= rate <= HIGHEST_PENALTY_RATE or rate != rate.quantize(Decimal("0.01")):
        raise ValidationError(
            "a penalty rate is 0 to 100 % a year, with at most 2 decimals", key="penalty_rate"
        )
    return str(rate)


def set_legal_details(ctx: ServiceContext, merchant_id: int, details: LegalDetails) -> Merchant:
    """Store the details, checked (a SIREN's Luhn digit, an EU VAT number's check digits)."""
    siren, vat_number = checked_siren(details.siren), checked_vat(details.vat_number)
    rate = _rate(details.penalty_rate)
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        merchant.legal_name = _clean(details.legal_name)
        merchant.siren, merchant.vat_number = siren, vat_number
        merchant.street, merchant.postcode = _clean(details.street), _clean(details.postcode)
        merchant.city = _clean(details.city)
        merchant.legal_mentions = _clean(details.legal_mentions)
        merchant.penalty_rate = rate
        merchant.attach_documents = details.attach_documents
        return merchant


def seller_of(merchant: Merchant) -> Party:
    """The merchant as its invoices and emails name the seller."""
    return Party(
        name=merchant.legal_name or merchant.name,
        siren=merchant.siren,
        vat_number=merchant.vat_number,
        street=merchant.street,
        postcode=merchant.postcode,
        city=merchant.city,
        country=merchant.country,
    )
