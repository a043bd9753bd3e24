"""Recurring invoices: a schedule per customer issues one invoice per period, with its link and
reminders like any other; the merchant (console, API) pauses, resumes or cancels it, and so
can the customer from a link on each of its invoices' pages.

Each period's invoice is keyed `recurring:<schedule>:<period>` among the merchant's invoices
(the unique index of invoices without a store), and the schedule moves on in the transaction
that creates it: a period is invoiced once, whatever the number of workers or a crash between
the two. Periods that fall while a schedule is paused are skipped, not invoiced on resume.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.business_buyer import party_json
from core.errors import Conflict, NotFound, ValidationError
from core.events import CustomerDetails, InvoiceRequested, SourceKind
from core.invoice_document import Party
from core.invoices import InvoiceContent, InvoiceLine, make_customer
from core.money import Money
from core.recurrence import Frequency, Recurrence
from core.services import autopay
from core.services.context import ServiceContext
from core.services.invoice_creation import create_invoice_in
from core.storage.database import insert_once
from core.storage.models import Invoice, Merchant
from core.storage.recurring_models import RecurringSchedule

ACTIVE, PAUSED, CANCELLED, ENDED = "active", "paused", "cancelled", "ended"
CUSTOMER_CONTEXT = "recurring_schedules.customer"
#: Schedules handled per transaction by the worker's pass.
BATCH = 100


@dataclass(frozen=True, slots=True)
class ScheduleRequest:
    """A new schedule: who, what each period's invoice holds, and when."""

    reference: str
    customer: CustomerDetails
    content: InvoiceContent
    recurrence: Recurrence
    payment_terms_days: int | None = None
    buyer: Party | None = None


def _lines_json(content: InvoiceContent) -> list[dict[str, Any]]:
    return [
        {
            "label": line.label,
            "quantity": line.quantity,
            "unit_price": line.unit_price.minor,
            "tax": line.tax.minor,
            "sku": line.sku,
        }
        for line in content.lines
    ]


def create_schedule(
    ctx: ServiceContext, merchant_id: int, request: ScheduleRequest
) -> tuple[RecurringSchedule, bool]:
    """The schedule for `request.reference`, and whether it was created now (the same
    reference twice gives one schedule)."""
    recurrence = request.recurrence
    now = ctx.clock()
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        local_today = now.astimezone(ZoneInfo(merchant.timezone)).date()
        if recurrence.start_on < local_today:
            raise ValidationError("a schedule starts today or later", key="recurrence_start")
        customer = request.customer
        make_customer(  # the same checks as an invoice's customer, before anything is kept
            customer.name,
            customer.email,
            customer.phone,
            customer.locale or merchant.default_locale,
            merchant.country,
        )
        contact = {"email": customer.email, "phone": customer.phone, "locale": customer.locale}
        created = insert_once(
            session,
            RecurringSchedule,
            {
                "merchant_id": merchant_id,
                "reference": request.reference[:255],
                "status": ACTIVE,
                "frequency": recurrence.frequency.value,
                "start_on": recurrence.start_on,
                "end_after": recurrence.end_after,
                "end_on": recurrence.end_on,
                "issued": 0,
                "next_on": recurrence.start_on,
                "customer_name": customer.name[:200],
                "customer_ciphertext": ctx.keyring.encrypt(json.dumps(contact), CUSTOMER_CONTEXT),
                "currency": request.content.currency,
                "lines": _lines_json(request.content),
                "shipping": request.content.shipping.minor,
                "discount": request.content.discount.minor,
                "taxes_included": request.content.taxes_included,
                "payment_terms_days": request.payment_terms_days or merchant.payment_terms_days,
                "buyer": party_json(request.buyer) if request.buyer else None,
                "created_at": now,
                "updated_at": now,
            },
            ["merchant_id", "reference"],
        )
        schedule = session.scalars(
            select(RecurringSchedule).where(
                RecurringSchedule.merchant_id == merchant_id,
                RecurringSchedule.reference == request.reference[:255],
            )
        ).one()
        return schedule, created is not None


def recurrence_of(schedule: RecurringSchedule) -> Recurrence:
    return Recurrence(
        Frequency(schedule.frequency), schedule.start_on, schedule.end_after, schedule.end_on
    )


def content_of(schedule: RecurringSchedule) -> InvoiceContent:
    """What the next period's invoice holds."""

    def money(minor: int) -> Money:
        return Money(minor, schedule.currency)

    return InvoiceContent(
        currency=schedule.currency,
        lines=tuple(
            InvoiceLine(
                line["label"],
                line["quantity"],
                money(line["unit_price"]),
                money(line["tax"]),
                line.get("sku"),
            )
            for line in schedule.lines
        ),
        shipping=money(schedule.shipping),
        discount=money(schedule.discount),
        taxes_included=schedule.taxes_included,
    )


def _period_request(
    ctx: ServiceContext, schedule: RecurringSchedule, period: int, zone: ZoneInfo
) -> InvoiceRequested:
    contact = json.loads(ctx.keyring.decrypt(schedule.customer_ciphertext, CUSTOMER_CONTEXT))
    issued_on = recurrence_of(schedule).period_on(period)
    due = datetime.combine(
        issued_on + timedelta(days=schedule.payment_terms_days), time(23, 59), tzinfo=zone
    )
    return InvoiceRequested(
        source_kind=SourceKind.RECURRING,
        external_id=f"recurring:{schedule.id}:{period}",
        content=content_of(schedule),
        customer=CustomerDetails(
            schedule.customer_name, contact["email"], contact["phone"], contact["locale"]
        ),
        due_at=due.astimezone(UTC),
        buyer=Party(**schedule.buyer) if schedule.buyer else None,
    )


def issue_due_invoices(ctx: ServiceContext) -> int:
    """Invoice every period that has come, schedule by schedule (locked, so workers running
    this at once share the work); returns how many invoices were made."""
    made = 0
    while True:
        with ctx.db.transaction() as session:
            # A day ahead of UTC covers every zone; each merchant's own day decides below.
            horizon = ctx.clock().date() + timedelta(days=1)
            due = session.scalars(
                select(RecurringSchedule)
                .where(RecurringSchedule.status == ACTIVE, RecurringSchedule.next_on <= horizon)
                .order_by(RecurringSchedule.next_on, RecurringSchedule.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            moved = [_issue(ctx, session, schedule) for schedule in due]
        made += sum(count for count, _ in moved)
        if len(due) < BATCH or not any(advanced for _, advanced in moved):
            return made


def _issue(ctx: ServiceContext, session: Session, schedule: RecurringSchedule) -> tuple[int, bool]:
    """(invoices made, whether the schedule moved on)."""
    merchant = session.get(Merchant, schedule.merchant_id)
    assert merchant is not None
    zone = ZoneInfo(merchant.timezone)
    today = ctx.clock().astimezone(zone).date()
    recurrence = recurrence_of(schedule)
    periods = recurrence.due_periods(schedule.issued, today)
    charged = schedule.autopay_account_id is not None
    for period in periods:
        invoice, created = create_invoice_in(
            ctx,
            session,
            schedule.merchant_id,
            replace(_period_request(ctx, schedule, period, zone), autopay=charged),
        )
        ctx.record(session, invoice.id, "recurring_period", schedule=schedule.id, period=period + 1)
        if created and charged:
            ctx.enqueue_many(session, autopay.charge_jobs(invoice, ctx.clock()))
    if periods:
        _move_to(schedule, recurrence, periods[-1] + 1, ctx.clock())
    return len(periods), bool(periods)


def _move_to(
    schedule: RecurringSchedule, recurrence: Recurrence, period: int, now: datetime
) -> None:
    schedule.issued = period
    schedule.next_on = recurrence.next_on(period)
    if schedule.next_on is None and schedule.status == ACTIVE:
        schedule.status = ENDED
    schedule.updated_at = now


def _locked(session: Session, merchant_id: int, schedule_id: int) -> RecurringSchedule:
    schedule = session.get(RecurringSchedule, schedule_id, with_for_update=True)
    if schedule is None or schedule.merchant_id != merchant_id:
        raise NotFound(f"no recurring invoice {schedule_id}")
    return schedule


def pause(ctx: ServiceContext, merchant_id: int, schedule_id: int) -> RecurringSchedule:
    with ctx.db.transaction() as session:
        schedule = _locked(session, merchant_id, schedule_id)
        if schedule.status != ACTIVE:
            raise Conflict(f"this schedule is {schedule.status}", key="recurring_not_active")
        schedule.status, schedule.updated_at = PAUSED, ctx.clock()
        return schedule


def resume(ctx: ServiceContext, merchant_id: int, schedule_id: int) -> RecurringSchedule:
    """Active again from the next period to come: those that fell during the pause are
    skipped (a customer who paused does not receive them all at once)."""
    with ctx.db.transaction() as session:
        schedule = _locked(session, merchant_id, schedule_id)
        if schedule.status != PAUSED:
            raise Conflict(f"this schedule is {schedule.status}", key="recurring_not_paused")
        merchant = session.get(Merchant, merchant_id)
        assert merchant is not None
        today = ctx.clock().astimezone(ZoneInfo(merchant.timezone)).date()
        recurrence = recurrence_of(schedule)
        skipped = recurrence.due_periods(schedule.issued, today - timedelta(days=1))
        schedule.status = ACTIVE
        _move_to(schedule, recurrence, schedule.issued + len(skipped), ctx.clock())
        return schedule


def cancel(ctx: ServiceContext, merchant_id: int, schedule_id: int) -> RecurringSchedule:
    """No further invoice; those already issued stay as they are (paid or to pay)."""
    with ctx.db.transaction() as session:
        schedule = _locked(session, merchant_id, schedule_id)
        if schedule.status in (CANCELLED, ENDED):
            raise Conflict(f"this schedule is {schedule.status}", key="recurring_over")
        schedule.status, schedule.next_on, schedule.updated_at = CANCELLED, None, ctx.clock()
        autopay.forget_method(schedule, ctx.clock())  # no period left to pay with it
        return schedule


def change_content(
    ctx: ServiceContext, merchant_id: int, schedule_id: int, content: InvoiceContent
) -> RecurringSchedule:
    """What the next periods' invoices hold (the ones issued keep theirs)."""
    with ctx.db.transaction() as session:
        schedule = _locked(session, merchant_id, schedule_id)
        if schedule.status in (CANCELLED, ENDED):
            raise Conflict(f"this schedule is {schedule.status}", key="recurring_over")
        if content.currency != schedule.currency:
            raise ValidationError(f"this schedule invoices in {schedule.currency}")
        schedule.lines = _lines_json(content)
        schedule.shipping, schedule.discount = content.shipping.minor, content.discount.minor
        schedule.taxes_included, schedule.updated_at = content.taxes_included, ctx.clock()
        return schedule


def schedules_of(ctx: ServiceContext, merchant_id: int) -> list[RecurringSchedule]:
    with ctx.db.reading() as session:
        return list(
            session.scalars(
                select(RecurringSchedule)
                .where(RecurringSchedule.merchant_id == merchant_id)
                .order_by(RecurringSchedule.id.desc())
            )
        )


def schedule_of(ctx: ServiceContext, merchant_id: int, schedule_id: int) -> RecurringSchedule:
    with ctx.db.reading() as session:
        schedule = session.get(RecurringSchedule, schedule_id)
        if schedule is None or schedule.merchant_id != merchant_id:
            raise NotFound(f"no recurring invoice {schedule_id}")
        return schedule


def schedule_of_invoice(ctx: ServiceContext, invoice: Invoice) -> RecurringSchedule | None:
    """The schedule that issued an invoice (read from its key, within its merchant)."""
    schedule_id = autopay.schedule_id_of(invoice)
    if schedule_id is None:
        return None
    with ctx.db.reading() as session:
        schedule = session.get(RecurringSchedule, schedule_id)
    return schedule if schedule and schedule.merchant_id == invoice.merchant_id else None


def stop_autopay(ctx: ServiceContext, merchant_id: int, schedule_id: int) -> RecurringSchedule:
    """No more automatic payment: the next periods are sent with their link, as before the
    customer agreed. A period whose charge already runs is not called back."""
    with ctx.db.transaction() as session:
        schedule = _locked(session, merchant_id, schedule_id)
        if schedule.autopay_account_id is None:
            raise Conflict("this subscription is not paid automatically", key="autopay_off")
        autopay.forget_method(schedule, ctx.clock())
        return schedule


#: What merchants (console, API) and customers (an invoice's page) may do to a schedule.
ACTIONS = {"pause": pause, "resume": resume, "cancel": cancel, "stop_autopay": stop_autopay}


def customer_action(ctx: ServiceContext, invoice: Invoice, action: str) -> RecurringSchedule:
    """The customer paused, resumed or cancelled from one of its invoices' pages: done, and
    written on that invoice's timeline for the merchant to see."""
    schedule = schedule_of_invoice(ctx, invoice)
    if schedule is None or action not in ACTIONS:
        raise NotFound("no subscription behind this invoice")
    changed = ACTIONS[action](ctx, invoice.merchant_id, schedule.id)
    with ctx.db.transaction() as session:
        ctx.record(session, invoice.id, f"subscription_{action}_by_customer")
    return changed
