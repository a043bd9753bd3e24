"""An invoice as a document: who sells to whom, each line with its VAT rate, the VAT per rate,
the totals without and with tax, the terms. Pure arithmetic over the invoice's own figures; the
PDF (`core.documents.pdf`) and the Factur-X XML (`core.documents.cii`) only lay it out.

Platforms report a line's whole tax, not its rate, so the rate is read back from the amounts:
the French rate the tax matches within a cent of rounding per unit, else the exact rate to two
decimals. Shipping and an order discount carry the rate of the invoice's main line (French
practice: costs follow the main supply). With prices including tax, a line's basis is its price
less its tax; without, the price is the basis and the tax comes on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

#: French VAT rates, standard and special (percent), in the order they are tried.
FRENCH_RATES = tuple(
    Decimal(rate) for rate in ("20", "10", "5.5", "2.1", "0", "8.5", "13", "0.9", "1.75")
)
#: What a business customer owes on top of late-payment interest (C. com. D441-5).
RECOVERY_INDEMNITY_EUR = 40


class DocumentKind(StrEnum):
    INVOICE = "invoice"  # UNTDID 1001 code 380
    CREDIT_NOTE = "credit_note"  # 381


@dataclass(frozen=True, slots=True)
class Party:
    """A seller or a business buyer as an invoice must name them."""

    name: str
    siren: str | None = None
    vat_number: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str = "FR"
    email: str | None = None

    @property
    def address_lines(self) -> list[str]:
        town = " ".join(part for part in (self.postcode, self.city) if part)
        return [line for line in (self.street, town) if line]


@dataclass(frozen=True, slots=True)
class SourceLine:
    """A line as the invoice stores it (minor units): `tax` is the whole line's."""

    label: str
    quantity: int
    unit_price: int
    tax: int


class LineRole(StrEnum):
    ITEM = "item"
    CHARGE = "charge"  # shipping
    ALLOWANCE = "allowance"  # an order discount (its amounts negative)


@dataclass(frozen=True, slots=True)
class DocumentLine:
    label: str
    quantity: int
    unit_net: Decimal  # minor units, may carry a fraction (a net price divided by quantity)
    net: int  # minor units, the line's basis
    rate: Decimal  # percent
    tax: int
    role: LineRole = LineRole.ITEM


@dataclass(frozen=True, slots=True)
class VatGroup:
    rate: Decimal
    basis: int
    tax: int


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    kind: DocumentKind
    number: str
    issued_on: date
    currency: str
    exponent: int
    seller: Party
    buyer: Party
    business: bool  # a business buyer: Factur-X, the 40 EUR indemnity
    lines: tuple[DocumentLine, ...]
    vat: tuple[VatGroup, ...]
    net_total: int
    tax_total: int
    gross_total: int
    paid: int
    due_on: date | None
    penalty_rate: Decimal  # percent a year
    payment_reference: str | None  # the RF creditor reference, for transfers
    preceding_number: str | None = None  # a credit note's invoice
    preceding_issued_on: date | None = None  # and that invoice's date

    @property
    def due(self) -> int:
        return self.gross_total - self.paid

    def major(self, minor: int) -> Decimal:
        return Decimal(minor).scaleb(-self.exponent)


def rate_of(net: int, tax: int, quantity: int = 1) -> Decimal:
    """The VAT rate (percent) that turns `net` into `tax`: a French rate when it explains the tax
    within a cent of rounding per unit, else the exact rate to two decimals."""
    if net <= 0:
        return Decimal(0)
    for rate in FRENCH_RATES:
        if abs(_percent_of(net, rate) - tax) <= max(quantity, 1):
            return rate
    return (Decimal(tax) * 100 / Decimal(net)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _percent_of(amount: int, rate: Decimal) -> int:
    return int((Decimal(amount) * rate / 100).to_integral_value(ROUND_HALF_UP))


def split_gross(gross: int, rate: Decimal) -> tuple[int, int]:
    """(basis, tax) of an amount that includes tax at `rate`."""
    basis = int((Decimal(gross) * 100 / (100 + rate)).to_integral_value(ROUND_HALF_UP))
    return basis, gross - basis


@dataclass(frozen=True, slots=True)
class Amounts:
    """The invoice's own figures (minor units) the document is built from."""

    lines: Sequence[SourceLine]
    shipping: int
    discount: int
    taxes_included: bool
    total: int


def document_lines(
    amounts: Amounts, shipping_label: str, discount_label: str
) -> tuple[DocumentLine, ...]:
    """Every line with its basis, rate and tax; shipping and the discount as lines of their own
    at the main line's rate (the discount negative)."""
    lines = []
    for source in amounts.lines:
        gross = source.unit_price * source.quantity
        net = gross - source.tax if amounts.taxes_included else gross
        rate = rate_of(net, source.tax, source.quantity)
        unit = Decimal(net) / source.quantity
        lines.append(DocumentLine(source.label, source.quantity, unit, net, rate, source.tax))
    main = max(lines, key=lambda line: line.net).rate if lines else Decimal(0)
    for label, amount, sign, role in (
        (shipping_label, amounts.shipping, 1, LineRole.CHARGE),
        (discount_label, amounts.discount, -1, LineRole.ALLOWANCE),
    ):
        if amount:
            if amounts.taxes_included:
                net, tax = split_gross(amount, main)
                rate = main
            else:  # the platform's tax lines already hold all the tax
                net, tax, rate = amount, 0, Decimal(0)
            lines.append(
                DocumentLine(label, 1, Decimal(sign * net), sign * net, rate, sign * tax, role)
            )
    return tuple(lines)


def vat_groups(lines: Sequence[DocumentLine]) -> tuple[VatGroup, ...]:
    """The VAT per rate (highest rate first), as the law asks it shown."""
    groups: dict[Decimal, tuple[int, int]] = {}
    for line in lines:
        basis, tax = groups.get(line.rate, (0, 0))
        groups[line.rate] = (basis + line.net, tax + line.tax)
    return tuple(
        VatGroup(rate, basis, tax)
        for rate, (basis, tax) in sorted(groups.items(), key=lambda item: -item[0])
    )


def make_document(
    *,
    kind: DocumentKind,
    number: str,
    issued_on: date,
    currency: str,
    exponent: int,
    seller: Party,
    buyer: Party,
    business: bool,
    lines: tuple[DocumentLine, ...],
    paid: int,
    due_on: date | None,
    penalty_rate: Decimal,
    payment_reference: str | None,
    preceding_number: str | None = None,
    preceding_issued_on: date | None = None,
) -> InvoiceDocument:
    """The document with its VAT groups and totals, which add up by construction."""
    groups = vat_groups(lines)
    net = sum(group.basis for group in groups)
    tax = sum(group.tax for group in groups)
    return InvoiceDocument(
        kind=kind,
        number=number,
        issued_on=issued_on,
        currency=currency,
        exponent=exponent,
        seller=seller,
        buyer=buyer,
        business=business,
        lines=lines,
        vat=groups,
        net_total=net,
        tax_total=tax,
        gross_total=net + tax,
        paid=paid,
        due_on=due_on,
        penalty_rate=penalty_rate,
        payment_reference=payment_reference,
        preceding_number=preceding_number,
        preceding_issued_on=preceding_issued_on,
    )
