"""Recording money: payments and refunds reported by providers.

Idempotent on the provider's id (a unique constraint, so a webhook delivered twice, or twice at
once, counts once). Money is never lost: a payment that cannot be applied (void invoice, other
currency) is still stored, flagged, and put on the timeline for the merchant to resolve, and an
overpayment is applied, flagged and its excess shown.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from core.errors import InvalidTransition, NotFound, ValidationError
from core.events import PaymentReceived, RefundIssued
from core.invoices import InvoiceStatus
from core.jobs import NewJob
from core.money import Money
from core.services.after_payment import plan_after_payment
from core.services.context import ServiceContext
from core.services.credit_notes import plan_credit_note
from core.services.invoicing import load_invoice_by_id, state_of, store_state
from core.storage.models import Invoice, Payment, Refund

Recorded = TypeVar("Recorded", Payment, Refund)


JOB_PUSH_PAYMENT = "stores.push_payment"


class PaymentFlag(enum.StrEnum):
    OVERPAYMENT = "overpayment"
    CURRENCY_MISMATCH = "currency_mismatch"
    INVOICE_NOT_PAYABLE = "invoice_not_payable"
    REVERSED = "reversed"  # the bank took the money back


def _locked_invoice(session: Session, invoice_id: int) -> Invoice:
    invoice = session.scalars(
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(lazyload(Invoice.lines))  # applying money never reads the order lines
        .with_for_update()
    ).one_or_none()
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return invoice


def record_payment(ctx: ServiceContext, event: PaymentReceived) -> tuple[Payment, bool]:
    """Store a payment and apply it to its invoice; returns (payment, recorded now)."""
    with ctx.db.transaction() as session:
        return record_payment_in(ctx, session, event)


def record_payment_in(
    ctx: ServiceContext, session: Session, event: PaymentReceived
) -> tuple[Payment, bool]:
    """`record_payment` inside the caller's transaction."""
    invoice = _locked_invoice(session, event.invoice_id)
    existing = _recorded(
        session,
        Payment,
        Payment.provider_payment_id,
        invoice,
        event.provider,
        event.provider_payment_id,
    )
    if existing is not None:
        return existing, False
    return apply_new_payment(ctx, session, invoice, event), True


def apply_new_payment(
    ctx: ServiceContext, session: Session, invoice: Invoice, event: PaymentReceived
) -> Payment:
    """Store and apply a payment the caller knows is new, on an invoice it has locked (a bank
    statement does both for a whole chunk of lines in one query each); the unique constraint
    still stops a duplicate."""
    payment = Payment(
        merchant_id=invoice.merchant_id,
        invoice_id=invoice.id,
        provider=event.provider,
        provider_payment_id=event.provider_payment_id,
        amount=event.amount.minor,
        currency=event.amount.currency,
        method=event.method,
        received_at=event.occurred_at,
    )
    session.add(payment)
    payment.flag = _apply_payment(ctx, session, invoice, event)
    return payment


def locked_invoices(session: Session, merchant_id: int, ids: Iterable[int]) -> dict[int, Invoice]:
    """Several of a merchant's invoices, locked, in one query (their lines left unloaded)."""
    found = session.scalars(
        select(Invoice)
        .where(Invoice.merchant_id == merchant_id, Invoice.id.in_(sorted(set(ids))))
        .options(lazyload(Invoice.lines))
        .with_for_update()
    )
    return {invoice.id: invoice for invoice in found}


def reverse_payment_in(ctx: ServiceContext, session: Session, payment: Payment) -> bool:
    """Undo a payment the bank took back: the invoice owes it again (and is flagged for the
    merchant, whose store was told it was paid). A payment that was never applied (flagged)
    only gets its flag; returns whether the invoice changed."""
    invoice = _locked_invoice(session, payment.invoice_id)
    applied = payment.flag in (None, PaymentFlag.OVERPAYMENT.value)
    payment.flag = PaymentFlag.REVERSED.value
    details = {"amount": payment.amount, "currency": payment.currency, "provider": payment.provider}
    if not applied:
        ctx.record(session, invoice.id, "payment_reversed", status=invoice.status.value, **details)
        return False
    now = ctx.clock()
    try:
        after = state_of(invoice).reverse_payment(Money(payment.amount, payment.currency), now)
    except (ValidationError, InvalidTransition):  # refunded or voided since: nothing to undo
        ctx.record(session, invoice.id, "payment_reversed", status=invoice.status.value, **details)
        return False
    store_state(invoice, after, now)
    if after.status != InvoiceStatus.PAID:
        invoice.paid_at = None
    ctx.record(session, invoice.id, "payment_reversed", status=after.status.value, **details)
    return True


def _recorded(
    session: Session,
    model: type[Recorded],
    id_column: Any,
    invoice: Invoice,
    provider: str,
    provider_id: str,
) -> Recorded | None:
    """The payment or refund this merchant already stored under this provider id, if any.
    Deliveries for one invoice are serialised by its row lock, so this look-up sees any
    concurrent one; the unique constraint still stops a duplicate that names another invoice.
    Another merchant's record under the same id is none of this one's business."""
    query = select(model).where(
        model.merchant_id == invoice.merchant_id,
        model.provider == provider,
        id_column == provider_id,
    )
    return session.scalars(query).one_or_none()


def _apply_payment(
    ctx: ServiceContext, session: Session, invoice: Invoice, event: PaymentReceived
) -> PaymentFlag | None:
    details = {
        "amount": event.amount.minor,
        "currency": event.amount.currency,
        "provider": event.provider,
        "provider_payment_id": event.provider_payment_id,
    }
    if event.amount.currency != invoice.currency:
        ctx.record(
            session,
            invoice.id,
            "payment_flagged",
            flag=PaymentFlag.CURRENCY_MISMATCH.value,
            **details,
        )
        return PaymentFlag.CURRENCY_MISMATCH
    now = ctx.clock()
    try:
        before = state_of(invoice)
        after = before.apply_payment(event.amount, now, event.occurred_at)
    except InvalidTransition:
        ctx.record(
            session,
            invoice.id,
            "payment_flagged",
            flag=PaymentFlag.INVOICE_NOT_PAYABLE.value,
            status=invoice.status.value,
            **details,
        )
        return PaymentFlag.INVOICE_NOT_PAYABLE
    store_state(invoice, after, now)
    if after.total < before.total:
        ctx.record(
            session, invoice.id, "early_discount_earned", amount=(before.total - after.total).minor
        )
    if after.status == InvoiceStatus.PAID and invoice.paid_at is None:
        invoice.paid_at = event.occurred_at
        plan_after_payment(ctx, session, invoice)
    ctx.record(
        session,
        invoice.id,
        "payment_received",
        status=after.status.value,
        **details,
        **dict(event.evidence),
    )
    if invoice.store_id is not None:
        # The store learns of it through its connector, as a job of its own (retried, keyed
        # per payment so each one is pushed once).
        ctx.enqueue(
            session,
            NewJob(
                JOB_PUSH_PAYMENT,
                {"invoice_id": invoice.id},
                f"store-push:{invoice.id}:{event.provider}:{event.provider_payment_id}",
                now,
                invoice.merchant_id,
            ),
        )
    if after.overpaid.minor > 0:
        ctx.record(session, invoice.id, "overpaid", excess=after.overpaid.minor)
        return PaymentFlag.OVERPAYMENT
    return None


MANUAL_PROVIDER = "manual"


def record_manual_payment(
    ctx: ServiceContext,
    merchant_id: int,
    invoice_id: int,
    amount_minor: int,
    reference: str,
    method: str,
    received_at: datetime | None,
) -> tuple[Payment, bool]:
    """A payment the merchant marks by hand, in the invoice's currency; its reference is unique
    per invoice, so marking the same transfer twice records it once."""
    invoice = load_invoice_by_id(ctx, merchant_id, invoice_id)
    return record_payment(
        ctx,
        PaymentReceived(
            provider=MANUAL_PROVIDER,
            provider_payment_id=f"{invoice.id}:{reference}",
            invoice_id=invoice.id,
            amount=Money(amount_minor, invoice.currency),
            occurred_at=received_at or ctx.clock(),
            method=method,
        ),
    )


def record_refund(ctx: ServiceContext, event: RefundIssued) -> tuple[Refund, bool]:
    """Store a refund and apply it; a refund larger than what was paid is refused whole."""
    with ctx.db.transaction() as session:
        invoice = _locked_invoice(session, event.invoice_id)
        existing = _recorded(
            session,
            Refund,
            Refund.provider_refund_id,
            invoice,
            event.provider,
            event.provider_refund_id,
        )
        if existing is not None:
            return existing, False
        now = ctx.clock()
        after = state_of(invoice).apply_refund(event.amount)
        refund = Refund(
            merchant_id=invoice.merchant_id,
            invoice_id=invoice.id,
            provider=event.provider,
            provider_refund_id=event.provider_refund_id,
            amount=event.amount.minor,
            currency=event.amount.currency,
            refunded_at=event.occurred_at,
        )
        session.add(refund)
        session.flush()
        plan_credit_note(ctx, session, refund)
        store_state(invoice, after, now)
        ctx.record(
            session,
            invoice.id,
            "refunded",
            amount=event.amount.minor,
            status=after.status.value,
            provider_refund_id=event.provider_refund_id,
        )
        return refund, True
