"""The satisfaction survey: one answer per paid invoice (a database constraint), the figures
and comments the merchant reads, and how the merchant asks it (off, in the receipt, or its own
message after a delay)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.errors import Conflict, NotFound, ValidationError
from core.invoices import InvoiceStatus
from core.satisfaction import SatisfactionSummary, SurveyAnswer, summarise
from core.services.after_payment import SurveyMode
from core.services.context import ServiceContext
from core.services.invoicing import invoice_by_code
from core.storage.models import Invoice, Merchant
from core.storage.survey_models import SurveyResponse

#: How many comments the merchant's page lists, newest first.
COMMENTS_SHOWN = 50
MAX_DELAY_HOURS = 14 * 24
#: Statuses whose customer may answer: the money came (a refund later does not undo that).
ANSWERABLE = frozenset({InvoiceStatus.PAID, InvoiceStatus.REFUNDED})


def can_answer(ctx: ServiceContext, code: str) -> tuple[Invoice, Merchant, bool]:
    """The invoice behind a link, its merchant, and whether its survey was answered; an
    invoice not paid yet has no survey (NotFound, like a wrong code)."""
    invoice, merchant = invoice_by_code(ctx, code)
    if invoice.status not in ANSWERABLE or merchant.survey_mode == SurveyMode.OFF:
        raise NotFound("no survey for this link")
    with ctx.db.reading() as session:
        answered = session.scalar(
            select(SurveyResponse.id).where(SurveyResponse.invoice_id == invoice.id)
        )
    return invoice, merchant, answered is not None


def answer_survey(ctx: ServiceContext, code: str, answer: SurveyAnswer) -> None:
    """Keep the customer's answer; a second one for the same invoice is a conflict."""
    invoice, _, answered = can_answer(ctx, code)
    if answered:
        raise Conflict("this survey was answered already", key="survey_answered")
    try:
        with ctx.db.transaction() as session:
            session.add(
                SurveyResponse(
                    merchant_id=invoice.merchant_id,
                    invoice_id=invoice.id,
                    ease=answer.ease,
                    clarity=answer.clarity,
                    recommend=answer.recommend,
                    comment=answer.comment,
                    answered_at=ctx.clock(),
                )
            )
            ctx.record(session, invoice.id, "survey_answered", recommend=answer.recommend)
    except IntegrityError:  # the same answer posted twice at once: the first one counts
        raise Conflict("this survey was answered already", key="survey_answered") from None


@dataclass(frozen=True, slots=True)
class Comment:
    invoice_id: int
    invoice_number: str
    recommend: int
    text: str
    answered_at: datetime


def satisfaction(
    ctx: ServiceContext,
    merchant_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[SatisfactionSummary, list[Comment]]:
    """The merchant's figures over a period, and the latest comments in it."""
    query = select(SurveyResponse, Invoice.number).join(
        Invoice, Invoice.id == SurveyResponse.invoice_id
    )
    query = query.where(SurveyResponse.merchant_id == merchant_id)
    if since is not None:
        query = query.where(SurveyResponse.answered_at >= since)
    if until is not None:
        query = query.where(SurveyResponse.answered_at < until)
    with ctx.db.reading() as session:
        rows = session.execute(query.order_by(SurveyResponse.answered_at.desc())).all()
    answers = [SurveyAnswer(r.ease, r.clarity, r.recommend, r.comment) for r, _ in rows]
    comments = [
        Comment(r.invoice_id, number, r.recommend, r.comment, r.answered_at)
        for r, number in rows
        if r.comment
    ][:COMMENTS_SHOWN]
    return summarise(answers), comments


def set_survey_mode(ctx: ServiceContext, merchant_id: int, mode: str, delay_hours: int) -> None:
    if mode not in set(SurveyMode):
        raise ValidationError(f"survey mode is one of {', '.join(SurveyMode)}")
    if not 1 <= delay_hours <= MAX_DELAY_HOURS:
        raise ValidationError(
            f"the survey goes out 1 to {MAX_DELAY_HOURS} hours after the payment",
            key="survey_delay",
            most=MAX_DELAY_HOURS,
        )
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        merchant.survey_mode, merchant.survey_delay_hours = mode, delay_hours
