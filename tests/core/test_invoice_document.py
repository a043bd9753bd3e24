"""Invoice documents' arithmetic: rates read back from the amounts, VAT per rate, and totals
that always add up to the invoice's own total (Hypothesis)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.invoice_document import (
    Amounts,
    DocumentKind,
    LineRole,
    Party,
    SourceLine,
    document_lines,
    make_document,
    rate_of,
)


def test_rates_are_read_back_from_the_amounts():
    assert rate_of(1000, 200) == Decimal("20")
    assert rate_of(1000, 55) == Decimal("5.5")
    assert rate_of(333, 67, 1) == Decimal("20")  # 66.6 rounded
    assert rate_of(1000, 70) == Decimal("7.00")  # not French: the exact rate
    assert rate_of(0, 0) == Decimal("0")


def gross_line(price: int, quantity: int, rate: Decimal) -> SourceLine:
    """A line as a European shop reports it: prices include tax, the tax is the line's."""
    gross = price * quantity
    net = int((Decimal(gross) * 100 / (100 + rate)).to_integral_value())
    return SourceLine("Article", quantity, price, gross - net)


lines = st.lists(
    st.builds(
        gross_line,
        st.integers(1, 50_000),
        st.integers(1, 20),
        st.sampled_from([Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1")]),
    ),
    min_size=1,
    max_size=8,
)


@given(lines=lines, shipping=st.integers(0, 3_000), discount_share=st.integers(0, 50))
def test_totals_add_up_to_the_invoice_total(lines, shipping, discount_share):
    subtotal = sum(line.unit_price * line.quantity for line in lines)
    discount = subtotal * discount_share // 100
    amounts = Amounts(lines, shipping, discount, True, subtotal + shipping - discount)
    document = make_document(
        kind=DocumentKind.INVOICE,
        number="F-2026-000001",
        issued_on=date(2026, 3, 2),
        currency="EUR",
        exponent=2,
        seller=Party("Boutique Lune"),
        buyer=Party("Marie Curie"),
        business=False,
        lines=document_lines(amounts, "Livraison", "Remise"),
        paid=0,
        due_on=None,
        penalty_rate=Decimal(0),
        payment_reference=None,
    )
    assert document.gross_total == amounts.total
    assert document.net_total + document.tax_total == document.gross_total
    assert sum(group.basis for group in document.vat) == document.net_total
    assert [group.rate for group in document.vat] == sorted(
        {line.rate for line in document.lines}, reverse=True
    )
    roles = [line.role for line in document.lines]
    assert (LineRole.CHARGE in roles) == bool(shipping)
    assert (LineRole.ALLOWANCE in roles) == bool(discount)


def test_without_tax_in_prices_the_tax_comes_on_top():
    amounts = Amounts([SourceLine("Service", 2, 5_000, 2_000)], 500, 0, False, 12_500)
    lines = document_lines(amounts, "Shipping", "Discount")
    assert [(line.net, line.rate, line.tax) for line in lines] == [
        (10_000, Decimal("20"), 2_000),
        (500, Decimal(0), 0),
    ]
