"""What follows a payment in full: the receipt at once, and the satisfaction survey, either as
a link in the receipt or as its own message some hours later (the merchant's choice).

Both are one-off steps of the invoice's messages, so each is claimed once like any reminder
(the job key and the message's unique (invoice, step) both see to it)."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.jobs import NewJob
from core.reminders import MessageKind
from core.services import rewards
from core.services.context import ServiceContext
from core.services.reminder_schedule import JOB_SEND_STEP, step_job_key
from core.services.rewards import RECEIPT_STEP
from core.storage.models import Invoice, Merchant


class SurveyMode(enum.StrEnum):
    """How the merchant asks for the survey (`Merchant.survey_mode`)."""

    OFF = "off"
    IN_RECEIPT = "in_receipt"
    SEPARATE = "separate"


SURVEY_STEP = "survey"
#: The messages sent once an invoice is paid (every other kind asks for money).
AFTER_PAYMENT = frozenset({MessageKind.RECEIPT, MessageKind.SURVEY})


def plan_after_payment(ctx: ServiceContext, session: Session, invoice: Invoice) -> None:
    """The receipt now (an early payer's discount code with it); the survey after the
    merchant's delay when it is its own message."""
    merchant = session.get(Merchant, invoice.merchant_id)
    if merchant is None:
        return
    rewards.plan_reward(ctx, session, invoice, merchant)
    now = ctx.clock()
    jobs = [_step_job(invoice, RECEIPT_STEP, MessageKind.RECEIPT, now)]
    if merchant.survey_mode == SurveyMode.SEPARATE:
        later = now + timedelta(hours=merchant.survey_delay_hours)
        jobs.append(_step_job(invoice, SURVEY_STEP, MessageKind.SURVEY, later))
    ctx.enqueue_many(session, jobs)


def _step_job(invoice: Invoice, step: str, kind: MessageKind, at: datetime) -> NewJob:
    return NewJob(
        JOB_SEND_STEP,
        {"invoice_id": invoice.id, "step": step, "one_off": kind.value},
        step_job_key(invoice.id, step),
        at,
        invoice.merchant_id,
    )
