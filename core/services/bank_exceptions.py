"""The exceptions queue: bank credits no reference settled, each with its best guesses, and what
a person decides for them (match to one invoice, split over several, or ignore), with who
decided and when kept on the line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, ValidationError
from core.money import Money
from core.reconcile import Allocation, CandidateInvoice, MatchRule, SureMatch, allocate
from core.services.bank_matching import LineFacts, pay_shares
from core.services.context import ServiceContext
from core.storage.bank_models import BankLine, BankLineShare, BankLineState, BankStatement
from core.storage.models import Invoice

#: How many open exceptions one page shows.
PAGE = 50


@dataclass(frozen=True, slots=True)
class SuggestionView:
    invoice_id: int
    number: str
    customer_name: str
    amount_due: Money
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BankLineView:
    id: int
    state: BankLineState
    booked: date | None
    amount: Money
    payer: str | None
    remittance: str
    references: tuple[str, ...]
    statement: str
    suggestions: tuple[SuggestionView, ...]
    decided_by: str | None
    decided_at: datetime | None
    invoice_numbers: tuple[str, ...]


def bank_lines(
    ctx: ServiceContext,
    merchant_id: int,
    state: BankLineState | None = BankLineState.UNMATCHED,
    limit: int = PAGE,
    line_id: int | None = None,
) -> list[BankLineView]:
    """The merchant's lines in a state (newest first), with their suggestions resolved to the
    invoices' numbers and what they still owe now."""
    query = (
        select(BankLine, BankStatement.statement_ref)
        .join(BankStatement, BankStatement.id == BankLine.statement_id)
        .where(BankLine.merchant_id == merchant_id)
        .order_by(BankLine.id.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(BankLine.state == state)
    if line_id is not None:
        query = query.where(BankLine.id == line_id)
    with ctx.db.reading() as session:
        rows = session.execute(query).all()
        wanted = {s["invoice_id"] for line, _ in rows for s in line.suggestions}
        wanted |= {share.invoice_id for line, _ in rows for share in line.shares}
        invoices = _invoices(session, merchant_id, wanted)
        return [_view(line, statement, invoices) for line, statement in rows]


def _invoices(session: Session, merchant_id: int, ids: set[int]) -> dict[int, Invoice]:
    if not ids:
        return {}
    found = session.scalars(
        select(Invoice).where(Invoice.merchant_id == merchant_id, Invoice.id.in_(ids))
    )
    return {invoice.id: invoice for invoice in found}


def _view(line: BankLine, statement: str, invoices: dict[int, Invoice]) -> BankLineView:
    suggestions = tuple(
        SuggestionView(
            invoice.id,
            invoice.number,
            invoice.customer_name,
            Money(max(invoice.total - invoice.amount_paid, 0), invoice.currency),
            int(s["score"]),
            tuple(s["reasons"]),
        )
        for s in line.suggestions
        if (invoice := invoices.get(s["invoice_id"])) is not None
    )
    return BankLineView(
        id=line.id,
        state=line.state,
        booked=line.booking_date,
        amount=Money(line.amount, line.currency),
        payer=line.debtor_name,
        remittance=line.remittance,
        references=tuple(line.structured_references),
        statement=statement,
        suggestions=suggestions,
        decided_by=line.decided_by,
        decided_at=line.decided_at,
        invoice_numbers=tuple(
            invoices[share.invoice_id].number
            for share in line.shares
            if share.invoice_id in invoices
        ),
    )


def match_by_hand(
    ctx: ServiceContext,
    merchant_id: int,
    line_id: int,
    invoice_numbers: Sequence[str],
    decided_by: str,
    amounts: Sequence[Money] | None = None,
) -> None:
    """Pay one or several of the merchant's invoices with a queued credit: with `amounts`, each
    invoice gets its own (they must add up to the credit); without, the credit is split as a
    transfer naming them would be (what each owes, in order, any excess on the last)."""
    numbers = [number.strip() for number in invoice_numbers if number.strip()]
    if not numbers:
        raise ValidationError("name at least one invoice", key="bank_match_no_invoice")
    with ctx.db.transaction() as session:
        line = _queued_line(session, merchant_id, line_id)
        credit = Money(line.amount, line.currency)
        targets = _targets(session, merchant_id, numbers)
        if amounts is None:
            allocations = allocate(credit, targets)
        else:
            allocations = _given_shares(credit, targets, amounts)
        statement = session.get(BankStatement, line.statement_id)
        paid = pay_shares(
            ctx,
            session,
            LineFacts.of(line),
            SureMatch(MatchRule.BY_HAND, allocations),
            statement.statement_ref if statement else "",
        )
        for allocation, payment in paid:
            line.shares.append(
                BankLineShare(
                    invoice_id=allocation.invoice_id,
                    amount=allocation.amount.minor,
                    payment=payment,
                )
            )
        _decide(ctx, line, BankLineState.MATCHED, decided_by)
        line.rule = MatchRule.BY_HAND.value


def ignore_line(ctx: ServiceContext, merchant_id: int, line_id: int, decided_by: str) -> None:
    """Take a credit out of the queue without paying anything (a refund from a supplier, a
    gift): kept, with who decided so."""
    with ctx.db.transaction() as session:
        line = _queued_line(session, merchant_id, line_id)
        _decide(ctx, line, BankLineState.IGNORED, decided_by)


def _queued_line(session: Session, merchant_id: int, line_id: int) -> BankLine:
    """The line, locked; another merchant's line is as missing as one that does not exist,
    and one decided already (by someone else a moment ago) is a conflict saying by whom."""
    line = session.scalars(
        select(BankLine)
        .where(BankLine.id == line_id, BankLine.merchant_id == merchant_id)
        .with_for_update()
    ).one_or_none()
    if line is None:
        raise NotFound(f"no bank line {line_id}")
    if line.state != BankLineState.UNMATCHED:
        raise Conflict(
            f"this line was already decided ({line.state.value}) by {line.decided_by}",
            key="bank_line_decided",
            state=line.state.value,
            by=line.decided_by or "",
        )
    return line


def _targets(session: Session, merchant_id: int, numbers: list[str]) -> list[CandidateInvoice]:
    found = {
        invoice.number: invoice
        for invoice in session.scalars(
            select(Invoice).where(Invoice.merchant_id == merchant_id, Invoice.number.in_(numbers))
        )
    }
    missing = [number for number in numbers if number not in found]
    if missing:
        raise ValidationError(
            f"no invoice {', '.join(missing)}", key="bank_match_unknown", numbers=", ".join(missing)
        )
    return [
        CandidateInvoice(
            invoice.id,
            invoice.number,
            invoice.customer_name,
            Money(max(invoice.total - invoice.amount_paid, 0), invoice.currency),
        )
        for invoice in (found[number] for number in dict.fromkeys(numbers))
    ]


def _given_shares(
    credit: Money, targets: list[CandidateInvoice], amounts: Sequence[Money]
) -> tuple[Allocation, ...]:
    if len(amounts) != len(targets):
        raise ValidationError("one amount per invoice")
    if any(amount.currency != credit.currency or amount.minor <= 0 for amount in amounts):
        raise ValidationError(f"each share is a positive amount in {credit.currency}")
    if sum(amount.minor for amount in amounts) != credit.minor:
        raise ValidationError(
            f"the shares must add up to the {credit} received",
            key="bank_match_shares",
            amount=str(credit),
        )
    return tuple(Allocation(t.id, amount) for t, amount in zip(targets, amounts, strict=True))


def _decide(ctx: ServiceContext, line: BankLine, state: BankLineState, decided_by: str) -> None:
    line.state = state
    line.decided_by = decided_by[:200]
    line.decided_at = ctx.clock()
