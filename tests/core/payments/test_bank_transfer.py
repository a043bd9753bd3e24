import pytest
from stdnum import iso11649

from core.errors import ValidationError
from core.money import Money
from core.payments.bank_transfer import (
    creditor_reference,
    epc_qr_svg,
    grouped,
    transfer_details,
)

DETAILS = {
    "beneficiary": "Boutique Lune",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "AGRIFRPP",
}


def test_creditor_reference_matches_the_iso_11649_vector():
    assert creditor_reference("539007547034") == "RF18539007547034"
    assert grouped("RF18539007547034") == "RF18 5390 0754 7034"


def test_every_invoice_number_gives_a_valid_reference():
    for number in ("F-2026-000001", "F-2026-123456", "INV/2026/99", "A" * 40):
        reference = creditor_reference(number)
        assert iso11649.is_valid(reference) and len(reference) <= 25


def test_bank_details_are_validated():
    details = transfer_details(DETAILS)
    assert details.iban == "FR7630006000011234567890189"
    assert details.iban_grouped == "FR76 3000 6000 0112 3456 7890 189"
    for bad in (
        {**DETAILS, "iban": "FR76 3000 6000 0112 3456 7890 188"},
        {**DETAILS, "bic": "NOTABIC!"},
        {**DETAILS, "beneficiary": ""},
    ):
        with pytest.raises(ValidationError):
            transfer_details(bad)


def test_the_epc_qr_code_is_for_euros_only():
    details = transfer_details(DETAILS)
    svg = epc_qr_svg(details, Money(7550, "EUR"), "RF18539007547034")
    assert svg is not None and svg.startswith("<svg") and "<script" not in svg
    assert epc_qr_svg(details, Money(7550, "GBP"), "RF18539007547034") is None
