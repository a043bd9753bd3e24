"""The daily figures the dashboard reads, kept by the worker.

A day's row is recomputed whole from the raw tables (never incremented), so a refresh can run
twice, late, or on several workers and still write the truth. Days stay in motion while their
invoices are paid or fall overdue: the worker refreshes the last `MOVING_DAYS` every few minutes
and fills any older day that has no row yet (a merchant's history, once).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.kpis import DayFigures, in_merchant_currency
from core.services.context import ServiceContext
from core.storage.bank_models import PayoutItem
from core.storage.figures_models import DailyFigures
from core.storage.models import Checkout, Invoice, Merchant, Message, Payment

JOB_REFRESH_FIGURES = "figures.refresh"
#: Days whose cohorts still change (payments arrive, due dates pass).
MOVING_DAYS = 45
#: How stale an older moving day's row may get between two refreshes.
SLOW_REFRESH = timedelta(hours=1)
CHUNK = 500
#: Payments that are money the merchant keeps (not flagged as another currency, reversed...).
KEPT_FLAGS = (None, "overpayment")


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a local day runs between (23 or 25 hours across a clock change)."""
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def figures_of_day(session: Session, merchant: Merchant, day: date, now: datetime) -> DayFigures:
    start, end = day_bounds(day, ZoneInfo(merchant.timezone))
    cohort = session.execute(
        select(
            Invoice.id,
            Invoice.opened_at,
            Invoice.viewed_at,
            Invoice.paid_at,
            Invoice.due_at,
            Invoice.source_kind,
            Invoice.amount_paid,
            Invoice.currency,
            Invoice.store_id,
            Invoice.shop_currency,
            Invoice.shop_total,
            Invoice.total,
        ).where(
            Invoice.merchant_id == merchant.id,
            Invoice.created_at >= start,
            Invoice.created_at < end,
            Invoice.opened_at.is_not(None),
        )
    ).all()
    paid = [row for row in cohort if row.paid_at is not None]
    ids = [row.id for row in cohort]
    messages = _in_chunks(
        session, (Message.invoice_id, Message.step, Message.channel, Message.created_at),
        Message.invoice_id, ids,
    )  # fmt: skip
    checkouts = _in_chunks(
        session, (Checkout.invoice_id, Checkout.method), Checkout.invoice_id, ids
    )
    payments = _in_chunks(session, (Payment.invoice_id, Payment.method), Payment.invoice_id, ids)
    fees = session.scalar(
        select(func.coalesce(func.sum(PayoutItem.fee), 0))
        .join(Payment, Payment.id == PayoutItem.payment_id)
        .where(
            Payment.merchant_id == merchant.id,
            Payment.received_at >= start,
            Payment.received_at < end,
        )
    )
    due = [row for row in cohort if row.due_at is not None and row.due_at <= now]
    carts = [row for row in cohort if row.source_kind == "cart"]
    received = session.execute(
        select(
            Payment.amount,
            Payment.currency,
            Invoice.shop_currency,
            Invoice.shop_total,
            Invoice.total,
        )
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(
            Payment.merchant_id == merchant.id,
            Payment.received_at >= start,
            Payment.received_at < end,
            Payment.flag.is_(None) | (Payment.flag == "overpayment"),
        )
    ).all()
    segments, cost = session.execute(
        select(
            func.coalesce(func.sum(Message.segments), 0),
            func.coalesce(func.sum(Message.cost_estimate_micros), 0),
        ).where(
            Message.merchant_id == merchant.id,
            Message.created_at >= start,
            Message.created_at < end,
            Message.channel == "sms",
        )
    ).one()
    return DayFigures(
        day=day,
        sent=len(cohort),
        viewed=sum(1 for row in cohort if row.viewed_at is not None),
        started=_started(checkouts),
        paid=len(paid),
        due=len(due),
        late=sum(1 for row in due if row.paid_at is None or row.paid_at > row.due_at),
        collected=_counted(received, merchant.currency, lambda row: row.amount),
        cart_sent=len(carts),
        cart_paid=sum(1 for row in carts if row.paid_at is not None),
        cart_collected=_counted(
            [row for row in carts if row.paid_at is not None],
            merchant.currency,
            lambda row: row.amount_paid,
        ),
        sms_segments=int(segments or 0),
        sms_cost_micros=int(cost or 0),
        delay_hours=dict(
            Counter(int((row.paid_at - row.opened_at).total_seconds() // 3600) for row in paid)
        ),
        paid_after_step=_paid_after_step(paid, messages),
        by_channel=_by_channel(cohort, messages),
        by_method=_by_method(cohort, checkouts, payments),
        provider_fees=int(fees or 0),
        new_payers=_new_payers(session, merchant.id, start, end),
        by_store=_by_store(cohort),
    )


def _counted(rows: Iterable[Any], currency: str, amount: Callable[[Any], int]) -> int:
    """What rows of money received (each with its invoice's currency and the store's own
    conversion of it) make in the merchant's currency."""
    return sum(
        in_merchant_currency(
            amount(row), row.currency, currency, (row.shop_currency, row.shop_total, row.total)
        )
        for row in rows
    )


def _new_payers(session: Session, merchant_id: int, start: datetime, end: datetime) -> int:
    """Customers (by the blind index of their email, else of their phone) whose first paid
    invoice with the merchant was paid between `start` and `end`."""
    earlier = aliased(Invoice)
    same_customer = or_(
        and_(
            Invoice.customer_email_index.is_not(None),
            earlier.customer_email_index == Invoice.customer_email_index,
        ),
        and_(
            Invoice.customer_email_index.is_(None),
            earlier.customer_phone_index == Invoice.customer_phone_index,
        ),
    )
    paid_before = (
        select(earlier.id)
        .where(earlier.merchant_id == merchant_id, earlier.paid_at < start, same_customer)
        .exists()
    )
    customer = func.coalesce(Invoice.customer_email_index, Invoice.customer_phone_index)
    return int(
        session.scalar(
            select(func.count(func.distinct(customer))).where(
                Invoice.merchant_id == merchant_id,
                Invoice.paid_at >= start,
                Invoice.paid_at < end,
                ~paid_before,
            )
        )
        or 0
    )


def _in_chunks(
    session: Session, columns: tuple[Any, ...], by: Any, ids: Sequence[int]
) -> list[Any]:
    """Rows of `columns` whose `by` column is one of `ids`, asked a chunk of ids at a time."""
    rows: list[Any] = []
    for at in range(0, len(ids), CHUNK):
        rows += session.execute(select(*columns).where(by.in_(ids[at : at + CHUNK]))).all()
    return rows


def _started(checkouts: Sequence[Any]) -> int:
    return len({row.invoice_id for row in checkouts})


def _paid_after_step(paid: Sequence[Any], messages: Sequence[Any]) -> dict[str, int]:
    """For each paid invoice, the last message it got before paying (its step's base name:
    "reminder-2", not "reminder-2:email"); "none" when it paid before any message."""
    paid_at = {row.id: row.paid_at for row in paid}
    last: dict[int, tuple[datetime, str]] = {}
    for message in messages:
        when = paid_at.get(message.invoice_id)
        if when is not None and message.created_at <= when:
            known = last.get(message.invoice_id)
            if known is None or message.created_at >= known[0]:
                last[message.invoice_id] = (message.created_at, message.step.split(":")[0])
    return dict(Counter(last[i][1] if i in last else "none" for i in paid_at))


def _by_channel(cohort: Sequence[Any], messages: Sequence[Any]) -> dict[str, tuple[int, int]]:
    """Sent and paid by the channel of each invoice's first message."""
    first: dict[int, tuple[datetime, str]] = {}
    for message in messages:
        known = first.get(message.invoice_id)
        if known is None or message.created_at < known[0]:
            first[message.invoice_id] = (message.created_at, message.channel)
    counts: dict[str, tuple[int, int]] = {}
    for row in cohort:
        if row.id in first:
            channel = first[row.id][1]
            sent, paid = counts.get(channel, (0, 0))
            counts[channel] = (sent + 1, paid + (row.paid_at is not None))
    return counts


def _by_store(cohort: Sequence[Any]) -> dict[str, tuple[int, int]]:
    """Sent and paid by the store the invoice came from ("none": the API or the console)."""
    counts: dict[str, tuple[int, int]] = {}
    for row in cohort:
        store = "none" if row.store_id is None else str(row.store_id)
        sent, paid = counts.get(store, (0, 0))
        counts[store] = (sent + 1, paid + (row.paid_at is not None))
    return counts


def _by_method(
    cohort: Sequence[Any], checkouts: Sequence[Any], payments: Sequence[Any]
) -> dict[str, tuple[int, int]]:
    """Per payment method: invoices that started a payment with it, and invoices paid with it."""
    paid = {row.id for row in cohort if row.paid_at is not None}
    started: dict[str, set[int]] = {}
    for checkout in checkouts:
        started.setdefault(checkout.method, set()).add(checkout.invoice_id)
    finished: dict[str, set[int]] = {}
    for payment in payments:
        if payment.invoice_id in paid and payment.method:
            finished.setdefault(payment.method, set()).add(payment.invoice_id)
    return {
        method: (len(started.get(method, ())), len(finished.get(method, ())))
        for method in sorted(set(started) | set(finished))
    }


def refresh_days(ctx: ServiceContext, merchant_id: int, days: Iterable[date]) -> int:
    """Recompute the merchant's rows for these days (insert or replace); returns how many."""
    now = ctx.clock()
    count = 0
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            return 0
        wanted = sorted(set(days))
        stored = {
            row.day: row
            for row in session.scalars(
                select(DailyFigures).where(
                    DailyFigures.merchant_id == merchant_id, DailyFigures.day.in_(wanted)
                )
            )
        }
        for day in wanted:
            figures = figures_of_day(session, merchant, day, now)
            row = stored.get(day) or DailyFigures(merchant_id=merchant_id, day=day)
            _store(row, figures, now)
            session.add(row)
            count += 1
    return count


def _store(row: DailyFigures, figures: DayFigures, now: datetime) -> None:
    for name in (
        "sent", "viewed", "started", "paid", "due", "late", "collected", "cart_sent",
        "cart_paid", "cart_collected", "sms_segments", "sms_cost_micros",
    ):  # fmt: skip
        setattr(row, name, getattr(figures, name))
    row.delay_hours = {str(hours): count for hours, count in figures.delay_hours.items()}
    row.paid_after_step = dict(figures.paid_after_step)
    row.by_channel = {name: list(pair) for name, pair in figures.by_channel.items()}
    row.by_method = {name: list(pair) for name, pair in figures.by_method.items()}
    row.provider_fees = figures.provider_fees
    row.new_payers = figures.new_payers
    row.by_store = {name: list(pair) for name, pair in figures.by_store.items()}
    row.refreshed_at = now


def refresh_merchant(ctx: ServiceContext, merchant_id: int) -> int:
    """Today and yesterday at every run; the older moving days once their row is an hour old
    (their cohorts change slowly); any older day of the history without a row yet."""
    with ctx.db.reading() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            return 0
        zone = ZoneInfo(merchant.timezone)
        first = session.scalar(
            select(func.min(Invoice.created_at)).where(Invoice.merchant_id == merchant_id)
        )
        known = dict(
            session.execute(
                select(DailyFigures.day, DailyFigures.refreshed_at).where(
                    DailyFigures.merchant_id == merchant_id
                )
            ).all()
        )
    if first is None:
        return 0
    now = ctx.clock()
    today = now.astimezone(zone).date()
    first_day = first.astimezone(zone).date()
    moving_from = max(first_day, today - timedelta(days=MOVING_DAYS - 1))
    moving = [moving_from + timedelta(days=n) for n in range((today - moving_from).days + 1)]
    days = [
        day
        for day in moving
        if day >= today - timedelta(days=1) or day not in known or known[day] <= now - SLOW_REFRESH
    ]
    day = first_day
    while day < moving_from:
        if day not in known:
            days.append(day)
        day += timedelta(days=1)
    return refresh_days(ctx, merchant_id, days)


def schedule_refreshes(ctx: ServiceContext, interval_seconds: int) -> int:
    """A refresh job per merchant, once per interval (keyed by its number)."""
    with ctx.db.transaction() as session:
        merchants = list(session.scalars(select(Merchant.id)))
        ctx.enqueue_each_interval(
            session,
            JOB_REFRESH_FIGURES,
            [(f"figures:{m}", {"merchant_id": m}, m) for m in merchants],
            interval_seconds,
        )
    return len(merchants)


def stored_days(ctx: ServiceContext, merchant_id: int, start: date, end: date) -> list[DayFigures]:
    """The rows of a period, as the pure figures the dashboard adds up."""
    with ctx.db.reading() as session:
        rows = session.scalars(
            select(DailyFigures)
            .where(
                DailyFigures.merchant_id == merchant_id,
                DailyFigures.day >= start,
                DailyFigures.day <= end,
            )
            .order_by(DailyFigures.day)
        ).all()
        return [
            DayFigures(
                day=row.day,
                sent=row.sent,
                viewed=row.viewed,
                started=row.started,
                paid=row.paid,
                due=row.due,
                late=row.late,
                collected=row.collected,
                cart_sent=row.cart_sent,
                cart_paid=row.cart_paid,
                cart_collected=row.cart_collected,
                sms_segments=row.sms_segments,
                sms_cost_micros=row.sms_cost_micros,
                delay_hours={int(hours): count for hours, count in row.delay_hours.items()},
                paid_after_step=dict(row.paid_after_step),
                by_channel={name: (pair[0], pair[1]) for name, pair in row.by_channel.items()},
                by_method={name: (pair[0], pair[1]) for name, pair in row.by_method.items()},
                provider_fees=row.provider_fees,
                new_payers=row.new_payers,
                by_store={name: (pair[0], pair[1]) for name, pair in row.by_store.items()},
            )
            for row in rows
        ]
