"""A business customer's identity, as its invoices must name it (company, SIREN, VAT number,
address): checked with python-stdnum, kept on the invoice as a `Party`, and what makes its
document a Factur-X file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from stdnum.eu import vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren

from core.errors import ValidationError
from core.invoice_document import Party


def business_buyer(
    company: str,
    siren_number: str | None = None,
    vat_number: str | None = None,
    street: str | None = None,
    postcode: str | None = None,
    city: str | None = None,
    country: str | None = None,
) -> Party:
    """The buyer with its numbers in their compact form, or a ValidationError naming what is
    wrong. A company needs a SIREN or a VAT number: that is what makes it a business buyer."""
    company = " ".join(company.split())
    if not company:
        raise ValidationError("a business customer needs its company name", key="buyer_company")
    compact_siren, compact_vat = checked_siren(siren_number), checked_vat(vat_number)
    if not (compact_siren or compact_vat):
        raise ValidationError(
            "a business customer needs a SIREN or a VAT number", key="buyer_identity"
        )
    return Party(
        company, compact_siren, compact_vat, street, postcode, city, (country or "FR").upper()
    )


def party_json(party: Party) -> dict[str, Any]:
    """A business buyer as an invoice keeps it (its contact email stays with the customer)."""
    return {key: value for key, value in asdict(party).items() if value and key != "email"}


def checked_siren(value: str | None) -> str | None:
    """A SIREN in its compact form (9 digits, Luhn-checked), None when empty."""
    return _checked(value, siren.validate, "is not a SIREN (9 digits, Luhn check)", "siren")


def checked_vat(value: str | None) -> str | None:
    """An EU VAT number in its compact form (country prefix, check digits), None when empty."""
    return _checked(value, vat.validate, "is not an EU VAT number", "vat_number")


def _checked(value: str | None, validate: Callable[[str], str], wrong: str, key: str) -> str | None:
    if not value or not value.strip():
        return None
    try:
        return str(validate(value))
    except StdnumError:
        raise ValidationError(f"{value!r} {wrong}", key=key, value=value) from None
