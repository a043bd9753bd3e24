"""When each invoice's next message is due, and the sweep that hands due steps to the workers.

An open invoice keeps its next step on its own row (`next_reminder_at`, `next_reminder_step`),
in a partial index of the invoices that have one: the sweep reads the due ones at the front of
that index, so its cost follows the number of due steps, not the number of invoices. A step is
sent by a job keyed on (invoice, step); when several steps are due at once (the worker was
down), only the latest goes out and the earlier ones are marked superseded.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from core.events import SourceKind
from core.invoices import Autopay
from core.jobs import NewJob
from core.reminders import DEFAULT_POLICY, ReminderPolicy, ReminderStep
from core.services.context import PendingEvent, ServiceContext, timeline_event
from core.storage.models import Invoice, Merchant

JOB_SEND_STEP = "messages.send_step"


def step_job_key(invoice_id: int, step: str) -> str:
    """A step's job key: one job per invoice and step, whoever plans it."""
    return f"reminder:{invoice_id}:{step}"


SWEEP_BATCH = 1000


def policy_of(merchant: Merchant, invoice: Invoice | None = None) -> ReminderPolicy:
    """The merchant's policy; for an invoice made from an abandoned cart, its cart form; for
    a subscription's period whose automatic charge failed, a failed charge's words; for an
    invoice a billing rule keeps from reminders, its first message only."""
    policy = (
        ReminderPolicy.from_json(merchant.reminder_policy)
        if merchant.reminder_policy
        else DEFAULT_POLICY
    )
    if invoice is None:
        return policy
    if invoice.source_kind == SourceKind.CART:
        policy = policy.for_carts()
    if invoice.autopay == Autopay.FAILED:
        policy = policy.for_failed_charge()
    return policy.first_only() if invoice.reminders_off else policy


def _policy_key(invoice: Invoice) -> tuple[object, ...]:
    """What of an invoice its policy depends on, beside its merchant's settings."""
    return (invoice.merchant_id, invoice.source_kind, invoice.autopay, invoice.reminders_off)


def plan_reminders(ctx: ServiceContext, invoice: Invoice, merchant: Merchant) -> list[ReminderStep]:
    """Mark the invoice sent now and keep its next step on the row; the steps already due, in
    order. Needs no id, so a new invoice's row is written once, with them."""
    invoice.opened_at = ctx.clock()
    policy = policy_of(merchant, invoice)
    return _move_on(
        ctx.clock(), invoice, policy, policy.next_step(invoice.opened_at, invoice.due_at, None)
    )


def _stored_step(policy: ReminderPolicy, invoice: Invoice) -> tuple[ReminderStep, datetime] | None:
    """The step the invoice waits for, as the merchant's policy now has it (a policy edited
    since goes on from the first of its steps not before the stored time)."""
    assert invoice.opened_at is not None and invoice.next_reminder_at is not None
    schedule = policy.schedule(invoice.opened_at, invoice.due_at)
    for step, at in schedule:
        if step.name == invoice.next_reminder_step:
            return step, at
    return next(((s, at) for s, at in schedule if at >= invoice.next_reminder_at), None)


def _move_on(
    now: datetime,
    invoice: Invoice,
    policy: ReminderPolicy,
    upcoming: tuple[ReminderStep, datetime] | None,
) -> list[ReminderStep]:
    """Move the invoice past every step already due (returned in order) and keep the next one
    on the row."""
    due: list[ReminderStep] = []
    while upcoming is not None and upcoming[1] <= now:
        due.append(upcoming[0])
        assert invoice.opened_at is not None
        upcoming = policy.next_step(invoice.opened_at, invoice.due_at, upcoming[0].name)
    invoice.next_reminder_at = upcoming[1] if upcoming else None
    invoice.next_reminder_step = upcoming[0].name if upcoming else None
    return due


def due_job(
    ctx: ServiceContext, session: Session, invoice: Invoice, due: list[ReminderStep]
) -> NewJob | None:
    """The job sending the latest due step; earlier ones are marked superseded."""
    for kind, data in superseded_events(due):
        ctx.record(session, invoice.id, kind, **data)
    return latest_step_job(ctx, invoice, due)


def superseded_events(due: list[ReminderStep]) -> list[PendingEvent]:
    """The timeline events of the due steps the latest one supersedes: only the latest is
    sent."""
    return [
        timeline_event("reminder_skipped", step=step.name, reason="superseded") for step in due[:-1]
    ]


def latest_step_job(
    ctx: ServiceContext, invoice: Invoice, due: list[ReminderStep]
) -> NewJob | None:
    """The job sending the latest due step, if any step is due."""
    if not due:
        return None
    return NewJob(
        JOB_SEND_STEP,
        {"invoice_id": invoice.id, "step": due[-1].name},
        step_job_key(invoice.id, due[-1].name),
        ctx.clock(),
        invoice.merchant_id,
    )


def sweep_due_reminders(ctx: ServiceContext, limit: int = SWEEP_BATCH) -> int:
    """Hand every due step to the workers, in batches; returns how many invoices moved on.
    Safe to run from several workers at once (the rows are claimed with SKIP LOCKED)."""
    moved = 0
    while True:
        with ctx.db.transaction() as session:
            invoices = session.scalars(
                select(Invoice)
                .options(lazyload(Invoice.lines))
                .where(Invoice.next_reminder_at <= ctx.clock())
                .order_by(Invoice.next_reminder_at, Invoice.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            policies: dict[tuple[object, ...], ReminderPolicy] = {}
            jobs = []
            for invoice in invoices:
                key = _policy_key(invoice)
                if key not in policies:
                    merchant = session.get(Merchant, invoice.merchant_id)
                    assert merchant is not None
                    policies[key] = policy_of(merchant, invoice)
                policy = policies[key]
                due = due_job(
                    ctx,
                    session,
                    invoice,
                    _move_on(ctx.clock(), invoice, policy, _stored_step(policy, invoice)),
                )
                if due is not None:
                    jobs.append(due)
            ctx.enqueue_many(session, jobs)
        moved += len(invoices)
        if len(invoices) < limit:
            return moved
