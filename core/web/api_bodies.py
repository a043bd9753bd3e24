"""API bodies as domain values: an invoice's content, its customer, a business buyer. Shared by
the invoice and recurring-invoice routes."""

from __future__ import annotations

from core.business_buyer import business_buyer
from core.errors import ValidationError
from core.events import CustomerDetails
from core.invoice_document import Party
from core.invoices import InvoiceContent, InvoiceLine
from core.money import Money, currency_code
from core.web import api_schemas as schemas


def invoice_content(body: schemas.ContentIn) -> InvoiceContent:
    """What an invoice (or each period of a recurring one) is for, from an API body."""
    currency = currency_code(body.currency)

    def money(minor: int) -> Money:
        return Money(minor, currency)

    return InvoiceContent(
        currency=currency,
        lines=tuple(
            InvoiceLine(
                line.label, line.quantity, money(line.unit_price), money(line.tax), line.sku
            )
            for line in body.lines
        ),
        shipping=money(body.shipping),
        discount=money(body.discount),
        taxes_included=body.taxes_included,
    )


def customer_details(customer: schemas.CustomerIn) -> CustomerDetails:
    if not (customer.email or customer.phone):
        raise ValidationError("customer: give an email or a phone number to send the invoice to")
    return CustomerDetails(
        customer.name, customer.email, customer.phone, customer.locale, tuple(customer.tags)
    )


def business_of(customer: schemas.CustomerIn) -> Party | None:
    """A business customer's identity when the caller named a company."""
    if not customer.company:
        if customer.siren or customer.vat_number:
            raise ValidationError("customer: a SIREN or VAT number needs the company's name")
        return None
    address = customer.address or schemas.AddressIn()
    return business_buyer(
        customer.company,
        customer.siren,
        customer.vat_number,
        address.street,
        address.postcode,
        address.city,
        address.country,
    )
