"""Invoice use cases: open, void, mark overdue, expire (creating one is
`core.services.invoice_creation`), and what they share: the invoice's state and customer to and
from its row, its look-ups, the jobs an invoice opening causes.

Each is one transaction that changes the invoice, appends to its timeline and enqueues the jobs
the change causes. Rules about amounts and statuses live in `core.invoices`; this module loads,
applies and stores.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.events import SourceKind
from core.invoices import (
    PAYABLE,
    Customer,
    InvoiceState,
    InvoiceStatus,
    normalise_email,
)
from core.jobs import NewJob
from core.money import Money
from core.payments.provider import PaymentMethod
from core.reminders import ReminderStep
from core.services.context import ServiceContext
from core.services.reminder_schedule import latest_step_job, plan_reminders, superseded_events
from core.storage import models
from core.storage.models import Invoice

EMAIL_INDEX = "invoices.customer_email"
PHONE_INDEX = "invoices.customer_phone"

JOB_MARK_OVERDUE = "invoice.mark_overdue"
#: Its document (PDF, Factur-X for a business), made by the worker (`core.services.documents`).
JOB_RENDER_DOCUMENT = "documents.render"
JOB_EXPIRE = "invoice.expire"


# State <-> row -------------------------------------------------------------------------------


def state_of(invoice: Invoice) -> InvoiceState:
    def money(minor: int) -> Money:
        return Money(minor, invoice.currency)

    return InvoiceState(
        status=invoice.status,
        total=money(invoice.total),
        amount_paid=money(invoice.amount_paid),
        amount_refunded=money(invoice.amount_refunded),
        due_at=invoice.due_at,
        expires_at=invoice.expires_at,
        early_discount=money(invoice.early_discount) if invoice.early_discount else None,
        early_discount_until=invoice.early_discount_until,
    )


def store_state(invoice: Invoice, state: InvoiceState, now: datetime) -> None:
    """Write a new state back; a total that dropped is an early-payment discount earned, so it
    joins the invoice's discount (totals stay consistent: subtotal + ... - discount = total)."""
    invoice.discount += invoice.total - state.total.minor
    invoice.total = state.total.minor
    invoice.status = state.status
    if state.status not in PAYABLE:
        # Paid, void, expired or refunded: no further reminder, from this very transaction.
        invoice.next_reminder_at = None
        invoice.next_reminder_step = None
    invoice.amount_paid = state.amount_paid.minor
    invoice.amount_refunded = state.amount_refunded.minor
    invoice.updated_at = now


def customer_of(invoice: Invoice, ctx: ServiceContext) -> Customer:
    """The invoice's customer with contact details decrypted."""

    def clear(ciphertext: str | None, context: str) -> str | None:
        return ctx.keyring.decrypt(ciphertext, context) if ciphertext else None

    return Customer(
        name=invoice.customer_name,
        email=clear(invoice.customer_email_ciphertext, EMAIL_INDEX),
        phone=clear(invoice.customer_phone_ciphertext, PHONE_INDEX),
        locale=invoice.customer_locale,
    )


def email_index(ctx: ServiceContext, email: str) -> str:
    """Blind index of an email as people search it: normalised, then case-insensitive."""
    return _normalised_email_index(ctx, normalise_email(email))


def _normalised_email_index(ctx: ServiceContext, email: str) -> str:
    return ctx.keyring.blind_index(email.casefold(), EMAIL_INDEX)


def set_customer(invoice: Invoice, customer: Customer, ctx: ServiceContext) -> None:
    """Store the customer (as `make_customer` normalised it) on an invoice: `customer_columns`."""
    for column, value in customer_columns(customer, ctx).items():
        setattr(invoice, column, value)


def customer_columns(customer: Customer, ctx: ServiceContext) -> dict[str, str | None]:
    """An invoice's customer columns for `customer` (as `make_customer` normalised it):
    contact details encrypted, each beside its blind index."""
    keyring = ctx.keyring
    email, phone = customer.email, customer.phone
    return {
        "customer_name": customer.name,
        "customer_locale": customer.locale,
        "customer_email_ciphertext": keyring.encrypt(email, EMAIL_INDEX) if email else None,
        "customer_email_index": _normalised_email_index(ctx, email) if email else None,
        "customer_phone_ciphertext": keyring.encrypt(phone, PHONE_INDEX) if phone else None,
        "customer_phone_index": keyring.blind_index(phone, PHONE_INDEX) if phone else None,
    }


# Look-ups ------------------------------------------------------------------------------------


def load_invoice(
    session: Session, merchant_id: int, invoice_id: int, lock: bool = False
) -> Invoice:
    query = select(Invoice).where(Invoice.id == invoice_id, Invoice.merchant_id == merchant_id)
    if lock:
        query = query.with_for_update()
    invoice = session.scalars(query).one_or_none()
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return invoice


def load_invoice_by_id(ctx: ServiceContext, merchant_id: int, invoice_id: int) -> Invoice:
    with ctx.db.transaction() as session:
        return load_invoice(session, merchant_id, invoice_id)


def invoice_by_code(ctx: ServiceContext, code: str) -> tuple[Invoice, models.Merchant]:
    """The invoice a payment link names, with its merchant (NotFound for any unknown code), in a
    transaction that only reads."""
    with ctx.db.reading() as session:
        return _by_code(session, code)


def _by_code(session: Session, code: str) -> tuple[Invoice, models.Merchant]:
    invoice = session.scalars(select(Invoice).where(Invoice.link_code == code)).one_or_none()
    if invoice is None:
        raise NotFound("no such payment link")
    merchant = session.get(models.Merchant, invoice.merchant_id)
    assert merchant is not None
    return invoice, merchant


def payment_page(
    ctx: ServiceContext, code: str
) -> tuple[Invoice, models.Merchant, list[models.PaymentAccount]]:
    """What the payment page shows, read in one snapshot: the invoice, its merchant and the
    payment accounts they enabled. The page's first opening is recorded (the conversion
    funnel's "opened"); a repeat view writes nothing."""
    with ctx.db.reading() as session:
        invoice, merchant = _by_code(session, code)
        accounts = list(
            session.scalars(
                select(models.PaymentAccount)
                .where(
                    models.PaymentAccount.merchant_id == merchant.id,
                    models.PaymentAccount.enabled.is_(True),
                )
                .order_by(models.PaymentAccount.position, models.PaymentAccount.id)
            )
        )
    if invoice.viewed_at is None:
        _record_first_view(ctx, invoice)
    return invoice, merchant, accounts


def _record_first_view(ctx: ServiceContext, invoice: Invoice) -> None:
    """Once per invoice, whatever number of first views race (the UPDATE decides)."""
    now = ctx.clock()
    with ctx.db.transaction() as session:
        first = session.execute(
            update(Invoice)
            .where(Invoice.id == invoice.id, Invoice.viewed_at.is_(None))
            .values(viewed_at=now)
        )
        if first.rowcount == 1:  # type: ignore[attr-defined]
            ctx.record(session, invoice.id, "viewed")
    invoice.viewed_at = invoice.viewed_at or now


def last_payment_failed(ctx: ServiceContext, invoice_id: int) -> bool:
    """Whether the latest payment attempt's outcome on the timeline is a failure."""
    with ctx.db.transaction() as session:
        kind = session.scalar(
            select(models.TimelineEvent.kind)
            .where(
                models.TimelineEvent.invoice_id == invoice_id,
                models.TimelineEvent.kind.in_(
                    ["checkout_started", "payment_failed", "payment_received"]
                ),
            )
            .order_by(models.TimelineEvent.at.desc(), models.TimelineEvent.id.desc())
            .limit(1)
        )
    return kind == "payment_failed"


def invoice_payments(ctx: ServiceContext, invoice_id: int) -> list[models.Payment]:
    with ctx.db.transaction() as session:
        return list(
            session.scalars(
                select(models.Payment)
                .where(
                    models.Payment.invoice_id == invoice_id,
                    or_(models.Payment.flag.is_(None), models.Payment.flag == "overpayment"),
                )
                .order_by(models.Payment.received_at)
            )
        )


def instalment_plan_on_track(session: Session, invoice: Invoice) -> bool:
    """Whether the customer is paying through an instalment plan that keeps up: its first
    payment arrived and the latest news of the invoice's payments is a payment, not a failure
    (a failed instalment brings the reminders back)."""
    started = session.scalar(
        select(models.Checkout.id)
        .where(
            models.Checkout.invoice_id == invoice.id,
            models.Checkout.method == PaymentMethod.INSTALMENTS.value,
            models.Checkout.payment_reference.is_not(None),
        )
        .limit(1)
    )
    if started is None:
        return False
    latest = session.scalar(
        select(models.TimelineEvent.kind)
        .where(
            models.TimelineEvent.invoice_id == invoice.id,
            models.TimelineEvent.kind.in_(("payment_received", "payment_failed")),
        )
        .order_by(models.TimelineEvent.at.desc(), models.TimelineEvent.id.desc())
        .limit(1)
    )
    return latest == "payment_received"


# Opening -------------------------------------------------------------------------------------


def opening_jobs(
    ctx: ServiceContext, session: Session, invoice: Invoice, due_steps: list[ReminderStep]
) -> list[NewJob]:
    """The jobs of an invoice just opened (its reminders planned on the row): they move it to
    overdue or expired when its dates pass, send its messages (the invoice itself, then
    reminders) on the merchant's schedule, and render its document."""
    for kind, data in superseded_events(due_steps):
        ctx.record(session, invoice.id, kind, **data)
    return new_invoice_jobs(ctx, invoice, due_steps)


def new_invoice_jobs(
    ctx: ServiceContext, invoice: Invoice, due_steps: list[ReminderStep]
) -> list[NewJob]:
    """`opening_jobs`, given the id the invoice will have, without recording anything."""
    payload = {"merchant_id": invoice.merchant_id, "invoice_id": invoice.id}
    jobs = [latest_step_job(ctx, invoice, due_steps)]
    if invoice.due_at is not None:
        jobs.append(
            NewJob(
                JOB_MARK_OVERDUE,
                payload,
                f"invoice:{invoice.id}:overdue",
                invoice.due_at,
                invoice.merchant_id,
            )
        )
    if invoice.expires_at is not None:
        jobs.append(
            NewJob(
                JOB_EXPIRE,
                payload,
                f"invoice:{invoice.id}:expire",
                invoice.expires_at,
                invoice.merchant_id,
            )
        )
    jobs.append(
        NewJob(
            JOB_RENDER_DOCUMENT,
            payload,
            f"document:{invoice.id}:invoice",
            ctx.clock(),
            invoice.merchant_id,
        )
    )
    return [job for job in jobs if job is not None]


# Status changes ------------------------------------------------------------------------------


def open_invoice(ctx: ServiceContext, merchant_id: int, invoice_id: int) -> Invoice:
    """Finalise a draft: it gets its deadlines and can be sent and paid."""
    with ctx.db.transaction() as session:
        invoice = load_invoice(session, merchant_id, invoice_id, lock=True)
        store_state(invoice, state_of(invoice).open(), ctx.clock())
        ctx.record(session, invoice.id, "opened")
        merchant = session.get(models.Merchant, merchant_id)
        assert merchant is not None
        ctx.enqueue_many(
            session, opening_jobs(ctx, session, invoice, plan_reminders(ctx, invoice, merchant))
        )
        return invoice


def void_invoice(ctx: ServiceContext, merchant_id: int, invoice_id: int, reason: str) -> Invoice:
    with ctx.db.transaction() as session:
        invoice = load_invoice(session, merchant_id, invoice_id, lock=True)
        store_state(invoice, state_of(invoice).void(), ctx.clock())
        ctx.record(session, invoice.id, "voided", reason=reason)
        return invoice


def close_store_invoice(
    ctx: ServiceContext, store_id: int, kind: SourceKind, external_id: str, reason: str
) -> str:
    """The store settled an order another way (paid there, cancelled): its invoice, if any,
    is voided when nothing was paid through it; money already paid is flagged for a refund."""
    with ctx.db.transaction() as session:
        invoice = session.scalars(
            select(Invoice)
            .where(
                Invoice.store_id == store_id,
                Invoice.source_kind == kind.value,
                Invoice.external_id == external_id,
            )
            .with_for_update()
        ).one_or_none()
        if invoice is None:
            return "no invoice"
        if invoice.status in PAYABLE and invoice.amount_paid == 0:
            store_state(invoice, state_of(invoice).void(), ctx.clock())
            ctx.record(session, invoice.id, "voided", reason=reason)
            return f"invoice {invoice.number} cancelled"
        if invoice.amount_paid > 0 and invoice.status != InvoiceStatus.PAID:
            ctx.record(session, invoice.id, "settled_in_store_too", reason=reason)
            return f"invoice {invoice.number} is partly paid: {reason}, refund what we received"
        return f"invoice {invoice.number} is {invoice.status.value}"


def _apply_deadline(ctx: ServiceContext, merchant_id: int, invoice_id: int, kind: str) -> None:
    with ctx.db.transaction() as session:
        invoice = load_invoice(session, merchant_id, invoice_id, lock=True)
        now = ctx.clock()
        before = state_of(invoice)
        after = before.mark_overdue(now) if kind == "overdue" else before.expire(now)
        if after.status != before.status:
            store_state(invoice, after, now)
            ctx.record(session, invoice.id, kind)


def mark_overdue(ctx: ServiceContext, merchant_id: int, invoice_id: int) -> None:
    """Past its due date and not fully paid: overdue. Safe to run late or twice."""
    _apply_deadline(ctx, merchant_id, invoice_id, "overdue")


def expire_invoice(ctx: ServiceContext, merchant_id: int, invoice_id: int) -> None:
    """A flash-sale invoice nobody started paying stops being payable at its expiry."""
    _apply_deadline(ctx, merchant_id, invoice_id, "expired")
