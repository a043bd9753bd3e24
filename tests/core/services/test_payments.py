from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from core.errors import ValidationError
from core.events import PaymentReceived, RefundIssued
from core.invoices import InvoiceStatus
from core.money import Money
from core.services import invoice_creation, invoicing
from core.services.invoice_queries import invoice_timeline
from core.services.payments import PaymentFlag, record_payment, record_refund
from core.storage.models import Payment
from tests.support.factories import eur, merchant, order


@pytest.fixture
def invoice(ctx):
    shop = merchant(ctx)
    created, _ = invoice_creation.create_invoice(ctx, shop.id, order())  # 75.50 EUR
    return created


def paid(ctx, invoice, amount, payment_id="pi_1", provider="stripe"):
    return record_payment(
        ctx, PaymentReceived(provider, payment_id, invoice.id, amount, ctx.clock(), "card")
    )


def reload(ctx, invoice):
    return invoicing.load_invoice_by_id(ctx, invoice.merchant_id, invoice.id)


def test_full_payment_pays_the_invoice(ctx, invoice):
    payment, recorded = paid(ctx, invoice, eur("75.50"))
    assert recorded and payment.flag is None
    after = reload(ctx, invoice)
    assert (after.status, after.amount_paid, after.paid_at) == (
        InvoiceStatus.PAID,
        7550,
        ctx.clock(),
    )
    assert invoice_timeline(ctx, invoice.merchant_id, invoice.id)[-1].kind == "payment_received"


def test_the_same_provider_payment_counts_once(ctx, invoice):
    paid(ctx, invoice, eur("30.00"))
    _, recorded = paid(ctx, invoice, eur("30.00"))
    assert not recorded
    assert reload(ctx, invoice).amount_paid == 3000


def test_the_same_payment_delivered_by_8_threads_at_once_counts_once(ctx, invoice):
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: paid(ctx, invoice, eur("30.00")), range(8)))
    assert sum(recorded for _, recorded in results) == 1
    assert reload(ctx, invoice).amount_paid == 3000


def test_partial_payments_add_up(ctx, invoice):
    paid(ctx, invoice, eur("25.50"), "pi_1")
    assert reload(ctx, invoice).status == InvoiceStatus.PARTIALLY_PAID
    paid(ctx, invoice, eur("50.00"), "pi_2")
    after = reload(ctx, invoice)
    assert (after.status, after.amount_paid) == (InvoiceStatus.PAID, 7550)


def test_overpayment_is_applied_flagged_and_shown(ctx, invoice):
    payment, _ = paid(ctx, invoice, eur("80.00"))
    assert payment.flag == PaymentFlag.OVERPAYMENT
    assert reload(ctx, invoice).amount_paid == 8000
    last = invoice_timeline(ctx, invoice.merchant_id, invoice.id)[-1]
    assert (last.kind, last.data) == ("overpaid", {"excess": 450})


def test_money_on_a_void_invoice_or_in_another_currency_is_kept_and_flagged(ctx, invoice):
    payment, _ = paid(ctx, invoice, Money(7550, "USD"), "pi_usd")
    assert payment.flag == PaymentFlag.CURRENCY_MISMATCH
    invoicing.void_invoice(ctx, invoice.merchant_id, invoice.id, "duplicate order")
    late, _ = paid(ctx, invoice, eur("75.50"), "pi_late")
    assert late.flag == PaymentFlag.INVOICE_NOT_PAYABLE
    after = reload(ctx, invoice)
    assert (after.status, after.amount_paid) == (InvoiceStatus.VOID, 0)
    with ctx.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 2
    kinds = [e.kind for e in invoice_timeline(ctx, invoice.merchant_id, invoice.id)]
    assert kinds.count("payment_flagged") == 2


def test_refunds_partial_then_full(ctx, invoice):
    paid(ctx, invoice, eur("75.50"))
    record_refund(ctx, RefundIssued("stripe", "re_1", invoice.id, eur("10.00"), ctx.clock()))
    assert reload(ctx, invoice).status == InvoiceStatus.PAID
    _, again = record_refund(
        ctx, RefundIssued("stripe", "re_1", invoice.id, eur("10.00"), ctx.clock())
    )
    assert not again
    record_refund(ctx, RefundIssued("stripe", "re_2", invoice.id, eur("65.50"), ctx.clock()))
    after = reload(ctx, invoice)
    assert (after.status, after.amount_refunded) == (InvoiceStatus.REFUNDED, 7550)


def test_a_refund_above_what_was_paid_is_refused_whole(ctx, invoice):
    paid(ctx, invoice, eur("20.00"))
    with pytest.raises(ValidationError, match="exceeds"):
        record_refund(ctx, RefundIssued("stripe", "re_1", invoice.id, eur("20.01"), ctx.clock()))
    assert reload(ctx, invoice).amount_refunded == 0
