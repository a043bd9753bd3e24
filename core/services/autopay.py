"""Automatic payment of a subscription: the customer agrees, on one of its invoices' pages, that
the method they pay with pays the next periods; each new period is then charged to it, and a
charge that fails hands the period back to its link, with a failed charge's own messages.

This module holds the states and their changes; `core.services.autopay_jobs` talks to the
providers. The saved method belongs to the schedule (one per subscription: a new consent
replaces it), its reference at the provider kept encrypted. While a period's charge runs
(`Autopay.PENDING`) nothing asks the customer for payment; the charge's answer, or a
provider's later event, settles it: paid (the usual receipt), or failed (`Autopay.FAILED`:
the reminders start from the failure, in its words). The customer or the merchant can stop
automatic payment at any time; cancelling the subscription forgets the method.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.events import SourceKind
from core.invoices import PAYABLE, Autopay
from core.jobs import NewJob
from core.payments.provider import PaymentMethod, ProviderEvent, SavedMethod
from core.payments.registry import provider_factory
from core.services.context import ServiceContext
from core.services.reminder_schedule import due_job, plan_reminders
from core.storage.models import Checkout, Invoice, Merchant, PaymentAccount
from core.storage.recurring_models import RecurringSchedule

JOB_SAVE_METHOD = "autopay.save_method"
JOB_CHARGE = "autopay.charge"
JOB_DEADLINE = "autopay.deadline"
SAVED_CONTEXT = "recurring_schedules.autopay"
#: How long a period's charge may go unanswered (the provider out of reach through every
#: retry) before its link takes over: the customer is asked rather than left unbilled.
ANSWER_WITHIN = timedelta(hours=24)
#: Schedules that may still issue invoices, and so keep a saved method.
RUNNING = frozenset({"active", "paused"})


def schedule_id_of(invoice: Invoice) -> int | None:
    """The schedule that issued an invoice, from its key `recurring:<schedule>:<period>`."""
    if invoice.source_kind != SourceKind.RECURRING.value or not invoice.external_id:
        return None
    return int(invoice.external_id.split(":")[1])


def _schedule(session: Session, invoice: Invoice, lock: bool = False) -> RecurringSchedule | None:
    schedule_id = schedule_id_of(invoice)
    if schedule_id is None:
        return None
    schedule = session.get(RecurringSchedule, schedule_id, with_for_update=lock)
    return schedule if schedule and schedule.merchant_id == invoice.merchant_id else None


def saves(provider: str, method: PaymentMethod) -> bool:
    """Whether a provider's checkout for `method` can keep it for the next periods."""
    return method in provider_factory(provider).saves_methods


def may_save(ctx: ServiceContext, invoice: Invoice, provider: str, method: PaymentMethod) -> bool:
    """Whether paying `invoice` this way may keep the method: a subscription's invoice, the
    subscription still running, and a provider that keeps this method."""
    if not saves(provider, method):
        return False
    with ctx.db.reading() as session:
        schedule = _schedule(session, invoice)
        return schedule is not None and schedule.status in RUNNING


def after_paid(ctx: ServiceContext, account: PaymentAccount, event: ProviderEvent) -> None:
    """A checkout paid: if its customer agreed to keep the method, a job reads what the
    provider kept (one per checkout, whatever the events that say it paid)."""
    if event.checkout_reference is None:
        return
    with ctx.db.transaction() as session:
        checkout_id = session.scalar(
            select(Checkout.id).where(
                Checkout.account_id == account.id,
                Checkout.provider_reference == event.checkout_reference,
                Checkout.save_method.is_(True),
            )
        )
        if checkout_id is not None:
            ctx.enqueue(
                session,
                NewJob(
                    JOB_SAVE_METHOD,
                    {"checkout_id": checkout_id},
                    f"autopay-save:{checkout_id}",
                    ctx.clock(),
                    account.merchant_id,
                ),
            )


def keep_method(
    ctx: ServiceContext, checkout: Checkout, account: PaymentAccount, saved: SavedMethod | None
) -> None:
    """Keep what the provider saved on the subscription (replacing an earlier method), and
    say it on the invoice's timeline; a subscription over since keeps nothing."""
    with ctx.db.transaction() as session:
        invoice = session.get(Invoice, checkout.invoice_id)
        assert invoice is not None
        schedule = _schedule(session, invoice, lock=True)
        if schedule is None or schedule.status not in RUNNING:
            return
        if saved is None:
            ctx.record(session, invoice.id, "autopay_not_saved", provider=account.provider)
            return
        schedule.autopay_account_id = account.id
        schedule.autopay_ciphertext = ctx.keyring.encrypt(saved.reference, SAVED_CONTEXT)
        schedule.autopay_label = saved.label[:64]
        schedule.autopay_since = schedule.updated_at = ctx.clock()
        ctx.record(session, invoice.id, "autopay_on", saved=saved.label)


def forget_method(schedule: RecurringSchedule, now: datetime) -> None:
    schedule.autopay_account_id = None
    schedule.autopay_ciphertext = schedule.autopay_label = schedule.autopay_since = None
    schedule.updated_at = now


def charge_jobs(invoice: Invoice, now: datetime) -> list[NewJob]:
    """A new period to charge: the charge now, and the deadline after which its link takes
    over if no answer came."""
    payload = {"invoice_id": invoice.id}
    return [
        NewJob(JOB_CHARGE, payload, f"autopay-charge:{invoice.id}", now, invoice.merchant_id),
        NewJob(
            JOB_DEADLINE,
            payload,
            f"autopay-deadline:{invoice.id}",
            now + ANSWER_WITHIN,
            invoice.merchant_id,
        ),
    ]


def fall_back(ctx: ServiceContext, invoice_id: int, reason: str) -> None:
    """The period's charge failed (or could not be made): its link takes over. Its messages
    start now, in a failed charge's words; nothing happens to a period settled meanwhile."""
    with ctx.db.transaction() as session:
        invoice = session.get(Invoice, invoice_id, with_for_update=True)
        if invoice is None or invoice.autopay != Autopay.PENDING or invoice.status not in PAYABLE:
            return
        merchant = session.get(Merchant, invoice.merchant_id)
        assert merchant is not None
        invoice.autopay = Autopay.FAILED.value
        invoice.updated_at = ctx.clock()
        ctx.record(session, invoice.id, "autopay_failed", decline=reason[:64])
        job = due_job(ctx, session, invoice, plan_reminders(ctx, invoice, merchant))
        if job is not None:
            ctx.enqueue(session, job)
