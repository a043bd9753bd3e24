"""How stored bank lines meet invoices: the invoices their references name, the guesses a
person is offered for the others, and the payments a match becomes (the same for a match the
importer is sure of and one a person makes in the exceptions queue)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.events import PaymentReceived
from core.invoices import PAYABLE
from core.money import Money
from core.payments.provider import PaymentMethod
from core.reconcile import (
    SUGGESTION_WINDOW_DAYS,
    CandidateInvoice,
    StatementLine,
    SureMatch,
    suggestions_for,
)
from core.services.context import ServiceContext
from core.services.payments import record_payment_in
from core.storage.bank_models import BankLine, BankLineShare
from core.storage.models import Invoice

#: The provider name bank-statement payments are recorded under.
BANK_PROVIDER = "bank"
#: How many keys or amounts one query asks for.
CHUNK = 500


def pay_shares(
    ctx: ServiceContext, session: Session, row: BankLine, match: SureMatch, statement_ref: str
) -> None:
    """Record each share of a line as a payment of its invoice (idempotent on the bank's
    reference: the same line paying the same invoice is one payment) and put the line on the
    invoice's timeline."""
    session.flush()  # the line's id names its payments
    paid_at = _paid_at(row.value_date or row.booking_date, ctx)
    for allocation in match.allocations:
        payment, _ = record_payment_in(
            ctx,
            session,
            PaymentReceived(
                provider=BANK_PROVIDER,
                provider_payment_id=f"{row.account_iban}:{row.line_key}:{allocation.invoice_id}",
                invoice_id=allocation.invoice_id,
                amount=allocation.amount,
                occurred_at=paid_at,
                method=PaymentMethod.BANK_TRANSFER.value,
            ),
        )
        session.flush()
        row.shares.append(
            BankLineShare(
                invoice_id=allocation.invoice_id,
                amount=allocation.amount.minor,
                payment_id=payment.id,
            )
        )
        ctx.record(
            session,
            allocation.invoice_id,
            "bank_line_matched",
            rule=match.rule.value,
            line_id=row.id,
            statement=statement_ref,
            booked=(row.booking_date.isoformat() if row.booking_date else None),
            amount=allocation.amount.minor,
            currency=allocation.amount.currency,
            payer=row.debtor_name,
            remittance=row.remittance[:140],
        )


def _paid_at(booked: date | None, ctx: ServiceContext) -> datetime:
    """The moment a transfer counts as paid: the start of its value (or booking) day, UTC."""
    if booked is None:
        return ctx.clock()
    return datetime.combine(booked, time(), tzinfo=UTC)


def resolve(session: Session, merchant_id: int, keys: Iterable[str]) -> dict[str, CandidateInvoice]:
    """The invoice each reference key names; a key two invoices share names neither."""
    wanted = sorted(set(keys))
    found: dict[str, list[CandidateInvoice]] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(
                Invoice.id,
                Invoice.number,
                Invoice.reference_key,
                Invoice.customer_name,
                Invoice.total,
                Invoice.amount_paid,
                Invoice.currency,
                Invoice.opened_at,
            ).where(
                Invoice.merchant_id == merchant_id,
                Invoice.reference_key.in_(wanted[start : start + CHUNK]),
            )
        )
        for row in rows:
            found.setdefault(row.reference_key, []).append(_candidate(row))
    return {key: invoices[0] for key, invoices in found.items() if len(invoices) == 1}


def _candidate(row: Any) -> CandidateInvoice:
    return CandidateInvoice(
        id=row.id,
        number=row.number,
        customer_name=row.customer_name,
        amount_due=Money(max(row.total - row.amount_paid, 0), row.currency),
        sent_on=row.opened_at.date() if row.opened_at is not None else None,
    )


def suggest(
    session: Session, merchant_id: int, unmatched: Sequence[tuple[BankLine, StatementLine]]
) -> None:
    """Suggestions for the credits no reference settled: open invoices owing exactly the
    amount, sent in the window before the money came, scored by the payer's name."""
    if not unmatched:
        return
    amounts = sorted({line.amount.minor for _, line in unmatched})
    earliest = min((line.booking_date for _, line in unmatched if line.booking_date), default=None)
    query = select(
        Invoice.id,
        Invoice.number,
        Invoice.customer_name,
        Invoice.total,
        Invoice.amount_paid,
        Invoice.currency,
        Invoice.opened_at,
    ).where(
        Invoice.merchant_id == merchant_id,
        Invoice.status.in_(PAYABLE),
        (Invoice.total - Invoice.amount_paid).in_(amounts),
    )
    if earliest is not None:
        since = datetime.combine(earliest, time(), tzinfo=UTC) - timedelta(
            days=SUGGESTION_WINDOW_DAYS
        )
        query = query.where(Invoice.created_at >= since)
    by_amount: dict[int, list[CandidateInvoice]] = {}
    for invoice_row in session.execute(query.limit(20 * len(amounts) + 100)):
        candidate = _candidate(invoice_row)
        by_amount.setdefault(candidate.amount_due.minor, []).append(candidate)
    for row, line in unmatched:
        suggestions = suggestions_for(line, by_amount.get(line.amount.minor, []))
        row.suggestions = [
            {"invoice_id": s.invoice_id, "score": s.score, "reasons": list(s.reasons)}
            for s in suggestions
        ]
