"""Reading invoices for the API and the console: one invoice, filtered pages, the timeline."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, or_, select

from core.errors import ValidationError
from core.invoices import InvoiceStatus
from core.services.context import ServiceContext
from core.services.invoicing import email_index, load_invoice
from core.services.reminder_schedule import JOB_SEND_STEP
from core.storage.models import Invoice, Job, JobStatus, TimelineEvent

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    status: InvoiceStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    customer_email: str | None = None
    search: str | None = None  # an invoice number, a customer's email, or part of their name
    store_id: int | None = None
    starting_after: int | None = None  # keyset cursor: the last id of the previous page
    limit: int = 20


@dataclass(frozen=True, slots=True)
class InvoicePage:
    invoices: Sequence[Invoice]
    has_more: bool


def list_invoices(ctx: ServiceContext, merchant_id: int, where: InvoiceFilter) -> InvoicePage:
    """Newest first, by keyset pagination (stable while new invoices arrive)."""
    limit = max(1, min(where.limit, MAX_PAGE_SIZE))
    query = select(Invoice).where(Invoice.merchant_id == merchant_id)
    if where.status is not None:
        query = query.where(Invoice.status == where.status)
    if where.created_from is not None:
        query = query.where(Invoice.created_at >= where.created_from)
    if where.created_to is not None:
        query = query.where(Invoice.created_at < where.created_to)
    if where.customer_email is not None:
        query = query.where(Invoice.customer_email_index == email_index(ctx, where.customer_email))
    if where.store_id is not None:
        query = query.where(Invoice.store_id == where.store_id)
    if where.search:
        query = query.where(_matching(ctx, where.search.strip()))
    if where.starting_after is not None:
        query = query.where(Invoice.id < where.starting_after)
    query = query.order_by(Invoice.id.desc()).limit(limit + 1)
    with ctx.db.transaction() as session:
        rows = list(session.scalars(query))
    return InvoicePage(rows[:limit], has_more=len(rows) > limit)


def _matching(ctx: ServiceContext, text: str) -> ColumnElement[bool]:
    """Emails are found through their blind index (they are encrypted); numbers exactly; names
    by a case-insensitive part."""
    if "@" in text:
        try:
            return Invoice.customer_email_index == email_index(ctx, text)
        except ValidationError:
            return false()
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(
        Invoice.number == text.upper(),
        Invoice.customer_name.ilike(f"%{escaped}%", escape="\\"),
    )


def invoice_timeline(ctx: ServiceContext, merchant_id: int, invoice_id: int) -> list[TimelineEvent]:
    with ctx.db.transaction() as session:
        load_invoice(session, merchant_id, invoice_id)
        query = (
            select(TimelineEvent)
            .where(TimelineEvent.invoice_id == invoice_id)
            .order_by(TimelineEvent.at, TimelineEvent.id)
        )
        return list(session.scalars(query))


class PlannedKind(enum.StrEnum):
    SENDING = "sending"  # its job is due: it goes out within moments
    HELD = "held"  # due, but held until the sending hours open (SMS only between the
    # merchant's hours in the customer's time zone; no promotional SMS on Sundays, holidays)
    NEXT = "next"  # the invoice's next reminder, on its schedule


@dataclass(frozen=True)
class PlannedMessage:
    """A message Paylink will send for an invoice, and when."""

    step: str
    at: datetime
    kind: PlannedKind


def planned_messages(
    ctx: ServiceContext, merchant_id: int, invoice_id: int
) -> list[PlannedMessage]:
    """What will go out for this invoice and when, soonest first: so a message planned at
    night is visible at once, with its time, instead of a log that looks empty."""
    now = ctx.clock()
    with ctx.db.transaction() as session:
        invoice = load_invoice(session, merchant_id, invoice_id)
        waiting = session.scalars(
            select(Job).where(
                Job.merchant_id == merchant_id,
                Job.kind == JOB_SEND_STEP,
                Job.status == JobStatus.PENDING,
            )
        ).all()
    planned = [
        PlannedMessage(
            str(job.payload["step"]),
            max(job.run_at, now),
            PlannedKind.HELD if job.run_at > now else PlannedKind.SENDING,
        )
        for job in waiting
        if job.payload.get("invoice_id") == invoice_id
    ]
    if invoice.next_reminder_at is not None and invoice.next_reminder_step:
        planned.append(
            PlannedMessage(invoice.next_reminder_step, invoice.next_reminder_at, PlannedKind.NEXT)
        )
    return sorted(planned, key=lambda message: message.at)


@dataclass(frozen=True)
class HeldMessage:
    invoice_id: int
    invoice_number: str
    step: str
    at: datetime


def held_messages(ctx: ServiceContext, merchant_id: int, limit: int = 100) -> list[HeldMessage]:
    """The merchant's messages due but held until the sending hours open, soonest first: the
    messages log shows them before anything was sent."""
    now = ctx.clock()
    with ctx.db.transaction() as session:
        waiting = session.scalars(
            select(Job)
            .where(
                Job.merchant_id == merchant_id,
                Job.kind == JOB_SEND_STEP,
                Job.status == JobStatus.PENDING,
                Job.run_at > now,
            )
            .order_by(Job.run_at)
            .limit(limit)
        ).all()
        numbers = dict(
            session.execute(
                select(Invoice.id, Invoice.number).where(
                    Invoice.merchant_id == merchant_id,
                    Invoice.id.in_([int(job.payload["invoice_id"]) for job in waiting]),
                )
            ).all()
        )
    return [
        HeldMessage(invoice_id, numbers[invoice_id], str(job.payload["step"]), job.run_at)
        for job in waiting
        if (invoice_id := int(job.payload["invoice_id"])) in numbers
    ]
