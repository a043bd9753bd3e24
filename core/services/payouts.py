"""Provider payouts: what each provider paid out to the merchant's bank, which payments it
held, and the bank line it arrived on. For each invoice paid through such a provider the
timeline then reads: paid, paid out (with the provider's fee), on the bank statement.

Payouts are read from the provider by a periodic job (one per account and interval); a
statement's credit is recognised as a payout when its amount is the payout's, it was booked
within a few days of the payout's arrival date, and it names the provider or the payout's bank
reference. Whichever comes second (the payout or the statement) makes the link.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.payments.payouts import Payout, PayoutSource, PayoutStatus
from core.payments.provider import ProviderEnvironment
from core.payments.registry import provider_factory
from core.reconcile import Direction, StatementLine
from core.services.context import ServiceContext
from core.services.payment_accounts import provider_for
from core.storage.bank_models import BankLine, BankLineState, PayoutItem, ProviderPayout
from core.storage.models import Payment, PaymentAccount

JOB_SYNC_PAYOUTS = "payouts.sync"
#: A payout's credit is booked from this many days before its arrival date to this many after.
BOOKED_BEFORE_ARRIVAL = 2
BOOKED_AFTER_ARRIVAL = 5
#: A sync re-reads this far behind the latest payout it knows (statuses change: paid, failed).
RESYNC_DAYS = 14
FIRST_SYNC_DAYS = 60
DECIDED_BY = "paylink"


def pays_out(provider: str) -> bool:
    try:
        return hasattr(provider_factory(provider), "payouts")
    except LookupError:
        return False


def schedule_payout_syncs(ctx: ServiceContext, interval_seconds: int) -> int:
    """A sync job for every enabled account of a provider that pays out, once per interval
    (keyed by the interval's number, so several workers add each one once)."""
    with ctx.db.transaction() as session:
        accounts = [
            account
            for account in session.scalars(
                select(PaymentAccount).where(PaymentAccount.enabled.is_(True))
            )
            if pays_out(account.provider)
        ]
        ctx.enqueue_each_interval(
            session,
            JOB_SYNC_PAYOUTS,
            [(f"payouts:{a.id}", {"account_id": a.id}, a.merchant_id) for a in accounts],
            interval_seconds,
        )
    return len(accounts)


def sync_payouts(ctx: ServiceContext, env: ProviderEnvironment, account_id: int) -> int:
    """Read the account's recent payouts from its provider and store them; returns how many."""
    with ctx.db.transaction() as session:
        account = session.get(PaymentAccount, account_id)
        if account is None:
            return 0
        latest = session.scalar(
            select(func.max(ProviderPayout.arrival_on)).where(
                ProviderPayout.account_id == account_id
            )
        )
    provider = provider_for(ctx, env, account)
    if not isinstance(provider, PayoutSource):
        return 0
    today = ctx.clock().date()
    since = latest - timedelta(days=RESYNC_DAYS) if latest else today - timedelta(FIRST_SYNC_DAYS)
    count = 0
    for payout in provider.payouts(since):
        with ctx.db.transaction() as session:
            _store(ctx, session, account, payout)
        count += 1
    return count


def _store(ctx: ServiceContext, session: Session, account: PaymentAccount, payout: Payout) -> None:
    row = session.scalars(
        select(ProviderPayout)
        .where(
            ProviderPayout.account_id == account.id,
            ProviderPayout.payout_ref == payout.payout_id,
        )
        .with_for_update()
    ).one_or_none()
    if row is None:
        row = ProviderPayout(
            merchant_id=account.merchant_id,
            account_id=account.id,
            provider=account.provider,
            payout_ref=payout.payout_id[:255],
        )
        session.add(row)
    row.amount, row.currency = payout.amount.minor, payout.amount.currency
    row.fees, row.arrival_on = payout.fees.minor, payout.arrival_on
    row.status, row.bank_reference = payout.status.value, payout.bank_reference
    row.synced_at = ctx.clock()
    session.flush()
    _store_items(ctx, session, account, row, payout)
    if row.bank_line_id is None and payout.status == PayoutStatus.PAID:
        line = _waiting_line(session, row)
        if line is not None:
            link(ctx, session, row, line.id)


def _store_items(
    ctx: ServiceContext,
    session: Session,
    account: PaymentAccount,
    row: ProviderPayout,
    payout: Payout,
) -> None:
    """The payout's payments, each once, tied to the payment Paylink recorded (which puts
    "paid out" on its invoice's timeline)."""
    known = set(
        session.scalars(
            select(PayoutItem.provider_payment_id).where(PayoutItem.payout_id == row.id)
        )
    )
    fresh = [item for item in payout.payments if item.provider_payment_id not in known]
    payments = {
        payment.provider_payment_id: payment
        for payment in session.scalars(
            select(Payment).where(
                Payment.merchant_id == account.merchant_id,
                Payment.provider == account.provider,
                Payment.provider_payment_id.in_([item.provider_payment_id for item in fresh]),
            )
        )
    }
    for item in fresh:
        payment = payments.get(item.provider_payment_id)
        session.add(
            PayoutItem(
                payout_id=row.id,
                provider_payment_id=item.provider_payment_id[:255],
                payment_id=payment.id if payment else None,
                gross=item.gross.minor,
                fee=item.fee.minor,
            )
        )
        if payment is not None:
            ctx.record(
                session,
                payment.invoice_id,
                "paid_out",
                provider=row.provider,
                payout=row.payout_ref,
                arrival=row.arrival_on.isoformat(),
                amount=item.gross.minor,
                fee=item.fee.minor,
                currency=item.gross.currency,
            )


def _names_the_provider(text: str, payout: ProviderPayout) -> bool:
    words = text.upper()
    names = getattr(provider_factory(payout.provider), "statement_names", ())
    reference = (payout.bank_reference or "").upper()
    return any(name in words for name in names) or bool(reference and reference in words)


def _booked_in_window(booked: date | None, arrival: date) -> bool:
    if booked is None:
        return False
    return (
        arrival - timedelta(days=BOOKED_BEFORE_ARRIVAL)
        <= booked
        <= arrival + timedelta(days=BOOKED_AFTER_ARRIVAL)
    )


def _waiting_line(session: Session, payout: ProviderPayout) -> BankLine | None:
    """A queued credit that is this payout arriving."""
    candidates = session.scalars(
        select(BankLine)
        .where(
            BankLine.merchant_id == payout.merchant_id,
            BankLine.state == BankLineState.UNMATCHED,
            BankLine.direction == Direction.CREDIT,
            BankLine.amount == payout.amount,
            BankLine.currency == payout.currency,
        )
        .order_by(BankLine.id)
    )
    for line in candidates:
        text = f"{line.debtor_name or ''} {line.remittance}"
        if _booked_in_window(line.booking_date, payout.arrival_on) and _names_the_provider(
            text, payout
        ):
            return line
    return None


def claim_payout_lines(
    ctx: ServiceContext,
    session: Session,
    merchant_id: int,
    credits: Sequence[tuple[int, StatementLine]],
) -> set[int]:
    """The statement credits (by line id) that are payouts already known: linked, and left
    out of the exceptions queue."""
    amounts = sorted({line.amount.minor for _, line in credits})
    if not amounts:
        return set()
    waiting = list(
        session.scalars(
            select(ProviderPayout).where(
                ProviderPayout.merchant_id == merchant_id,
                ProviderPayout.bank_line_id.is_(None),
                ProviderPayout.status == PayoutStatus.PAID.value,
                ProviderPayout.amount.in_(amounts),
            )
        )
    )
    claimed: set[int] = set()
    for line_id, line in credits:
        text = f"{line.debtor_name or ''} {line.remittance}"
        payout = next(
            (
                p
                for p in waiting
                if p.bank_line_id is None
                and p.amount == line.amount.minor
                and p.currency == line.amount.currency
                and _booked_in_window(line.booking_date, p.arrival_on)
                and _names_the_provider(text, p)
            ),
            None,
        )
        if payout is not None:
            link(ctx, session, payout, line_id)
            claimed.add(line_id)
    return claimed


def link(ctx: ServiceContext, session: Session, payout: ProviderPayout, line_id: int) -> None:
    """The payout arrived on this bank line: both say so, and so does each invoice it paid."""
    payout.bank_line_id = line_id
    line = session.get(BankLine, line_id)
    if line is not None:
        line.state = BankLineState.PAYOUT
        line.decided_by = DECIDED_BY
        line.decided_at = ctx.clock()
    for invoice_id in _invoices_of(session, [payout.id]):
        ctx.record(
            session,
            invoice_id,
            "payout_on_statement",
            provider=payout.provider,
            payout=payout.payout_ref,
            booked=line.booking_date.isoformat() if line and line.booking_date else None,
        )


def _invoices_of(session: Session, payout_ids: Iterable[int]) -> list[int]:
    return list(
        session.scalars(
            select(Payment.invoice_id)
            .join(PayoutItem, PayoutItem.payment_id == Payment.id)
            .where(PayoutItem.payout_id.in_(list(payout_ids)))
            .distinct()
        )
    )
