"""How stored bank lines meet invoices: the invoices their references name, the guesses a
person is offered for the others, and the payments a match becomes (the same for a match the
importer is sure of and one a person makes in the exceptions queue)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.events import PaymentReceived
from core.invoices import PAYABLE
from core.money import Money
from core.payments.provider import PaymentMethod
from core.reconcile import (
    SUGGESTION_WINDOW_DAYS,
    Allocation,
    CandidateInvoice,
    StatementLine,
    SureMatch,
    suggestions_for,
)
from core.services.context import ServiceContext
from core.services.payments import apply_new_payment, record_payment_in
from core.storage.bank_models import BankLine
from core.storage.models import Invoice, Payment

#: The provider name bank-statement payments are recorded under.
BANK_PROVIDER = "bank"
#: How many keys or amounts one query asks for.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class LineFacts:
    """What a payment made from a bank line says about it."""

    iban: str
    line_key: str
    booked: date | None
    value_date: date | None
    payer: str | None
    remittance: str

    @classmethod
    def of(cls, row: BankLine) -> LineFacts:
        return cls(
            row.account_iban,
            row.line_key,
            row.booking_date,
            row.value_date,
            row.debtor_name,
            row.remittance,
        )


def pay_shares(
    ctx: ServiceContext,
    session: Session,
    line: LineFacts,
    match: SureMatch,
    statement_ref: str,
    locked: Mapping[int, Invoice] | None = None,
) -> list[tuple[Allocation, Payment]]:
    """Record each share of a line as a payment of its invoice (idempotent on the bank's
    reference: the same line paying the same invoice is one payment), which puts the line on
    the invoice's timeline. The importer hands the chunk's invoices `locked` at once, and its
    lines were stored just now, so their payments cannot exist yet (the unique constraint
    still stands guard). The caller records the shares (the importer in one statement)."""
    paid_at = _paid_at(line.value_date or line.booked, ctx)
    paid = []
    for allocation in match.allocations:
        event = PaymentReceived(
            provider=BANK_PROVIDER,
            provider_payment_id=payment_key(line.iban, line.line_key, allocation.invoice_id),
            invoice_id=allocation.invoice_id,
            amount=allocation.amount,
            occurred_at=paid_at,
            method=PaymentMethod.BANK_TRANSFER.value,
            evidence=(
                ("rule", match.rule.value),
                ("statement", statement_ref),
                ("booked", line.booked.isoformat() if line.booked else None),
                ("payer", line.payer),
                ("remittance", line.remittance[:140]),
            ),
        )
        invoice = locked.get(allocation.invoice_id) if locked else None
        if invoice is not None:
            payment = apply_new_payment(ctx, session, invoice, event)
        else:
            payment, _ = record_payment_in(ctx, session, event)
        paid.append((allocation, payment))
    return paid


def payment_key(iban: str, line_key: str, invoice_id: int) -> str:
    return f"{iban}:{line_key}:{invoice_id}"


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
    session: Session, merchant_id: int, unmatched: Sequence[tuple[int, StatementLine]]
) -> None:
    """Suggestions for the credits no reference settled (by line id): open invoices owing
    exactly the amount, sent in the window before the money came, scored by the payer's name.
    Run once per file, after its matches were paid, so a paid invoice is no longer offered."""
    if not unmatched:
        return
    earliest = min((line.booking_date for _, line in unmatched if line.booking_date), default=None)
    amounts = {line.amount.minor for _, line in unmatched}
    query = select(
        Invoice.id,
        Invoice.number,
        Invoice.customer_name,
        Invoice.total,
        Invoice.amount_paid,
        Invoice.currency,
        Invoice.opened_at,
    ).where(Invoice.merchant_id == merchant_id, Invoice.status.in_(PAYABLE))
    if earliest is not None:
        since = datetime.combine(earliest, time(), tzinfo=UTC)
        query = query.where(Invoice.created_at >= since - timedelta(days=SUGGESTION_WINDOW_DAYS))
    # One pass over the open invoices, kept only when they owe one of the amounts: a long IN
    # list over an expression is a scan per element on PostgreSQL.
    candidates: dict[int, list[CandidateInvoice]] = {}
    for invoice_row in session.execute(query.execution_options(yield_per=5_000)):
        if invoice_row.total - invoice_row.amount_paid in amounts:
            candidate = _candidate(invoice_row)
            candidates.setdefault(candidate.amount_due.minor, []).append(candidate)
    updates = [
        {
            "id": line_id,
            "suggestions": [
                {"invoice_id": s.invoice_id, "score": s.score, "reasons": list(s.reasons)}
                for s in suggestions_for(line, candidates.get(line.amount.minor, []))
            ],
        }
        for line_id, line in unmatched
    ]
    for start in range(0, len(updates), CHUNK):
        session.execute(update(BankLine), updates[start : start + CHUNK])
