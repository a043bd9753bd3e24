"""The dashboard over a big merchant: 1,000,000 invoices sent over a year (60% paid, after 0 to
10 days), timed from the daily figures the worker keeps, against the same figures computed on
the raw tables for the same period. Target: under 300 ms.

Run: `python -m bench.dashboard [--invoices 1000000] [--engines sqlite,postgresql]`.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from bench.jobs import postgres_databases, sqlite_databases
from core.encryption import Keyring, generate_key
from core.kpis import Period
from core.services.context import ServiceContext
from core.services.daily_figures import refresh_merchant
from core.services.dashboard import dashboard
from core.storage.database import Database
from core.storage.models import Invoice, Payment
from tests.support.factories import merchant

CHUNK = 20_000
NOW = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
DAYS = 365


def _rows(merchant_id: int, start: int, count: int, total: int) -> tuple[list[dict], list[dict]]:
    invoices, payments = [], []
    for n in range(start, start + count):
        made = NOW - timedelta(days=DAYS) + timedelta(seconds=n * DAYS * 86400 // total)
        paid_at = made + timedelta(hours=n % 240) if n % 5 < 3 else None
        invoices.append(
            {
                "id": n + 1,
                "merchant_id": merchant_id,
                "source_kind": "cart" if n % 10 == 0 else "api",
                "external_id": f"bench-{n}",
                "number": f"D-{n:08d}",
                "reference_key": f"D{n:08d}",
                "link_code": secrets.token_urlsafe(9),
                "status": "paid" if paid_at else "open",
                "currency": "EUR",
                "subtotal": 7550, "tax": 0, "shipping": 0, "discount": 0, "total": 7550,
                "taxes_included": True,
                "amount_paid": 7550 if paid_at else 0,
                "amount_refunded": 0,
                "customer_name": "Marie Curie",
                "customer_locale": "fr",
                "due_at": made + timedelta(days=7),
                "created_at": made, "updated_at": made, "opened_at": made,
                "viewed_at": made + timedelta(minutes=30) if n % 4 else None,
                "paid_at": paid_at,
            }
        )  # fmt: skip
        if paid_at:
            payments.append(
                {
                    "merchant_id": merchant_id,
                    "invoice_id": n + 1,
                    "provider": "sandbox",
                    "provider_payment_id": f"p-{n}",
                    "amount": 7550,
                    "currency": "EUR",
                    "method": "card",
                    "received_at": paid_at,
                }
            )
    return invoices, payments


def raw_period(database: Database, merchant_id: int, since: datetime, until: datetime) -> tuple:
    """The same headline figures straight from the raw tables (what the rollups save)."""
    with database.reading() as session:
        cohort = session.execute(
            select(
                func.count(Invoice.id),
                func.count(Invoice.viewed_at),
                func.count(Invoice.paid_at),
            ).where(
                Invoice.merchant_id == merchant_id,
                Invoice.created_at >= since,
                Invoice.created_at < until,
            )
        ).one()
        collected = session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0)).where(
                Payment.merchant_id == merchant_id,
                Payment.received_at >= since,
                Payment.received_at < until,
            )
        )
        delays = session.execute(
            select(Invoice.created_at, Invoice.paid_at).where(
                Invoice.merchant_id == merchant_id,
                Invoice.created_at >= since,
                Invoice.created_at < until,
                Invoice.paid_at.is_not(None),
            )
        ).all()
    hours = sorted((paid - made).total_seconds() // 3600 for made, paid in delays if paid)
    return (*cohort, collected, hours[len(hours) // 2] if hours else None)


def timed(work: Callable[[], object], runs: int = 15) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def case(url: str, total: int) -> None:
    database = Database(url)
    ctx = ServiceContext(
        db=database, keyring=Keyring.parse(f"b1:{generate_key()}"), clock=lambda: NOW
    )
    shop = merchant(ctx)
    started = time.perf_counter()
    for start in range(0, total, CHUNK):
        invoices, payments = _rows(shop.id, start, min(CHUNK, total - start), total)
        with database.transaction() as session:
            session.execute(insert(Invoice), invoices)
            if payments:
                session.execute(insert(Payment), payments)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    refreshed = refresh_merchant(ctx, shop.id)
    refresh_seconds = time.perf_counter() - started
    period = Period((NOW - timedelta(days=89)).date(), NOW.date())
    since = datetime.combine(period.start, datetime.min.time(), tzinfo=UTC)
    from_rollups = timed(lambda: dashboard(ctx, shop.id, period))
    from_raw = timed(lambda: raw_period(database, shop.id, since, NOW + timedelta(days=1)), 5)
    name = database.engine.dialect.name
    print(
        f"{name:<11} {total:,} invoices loaded in {loaded:.0f} s; {refreshed} daily rows "
        f"computed in {refresh_seconds:.1f} s",
        flush=True,
    )
    print(
        f"{name:<11} dashboard, last 90 days: {from_rollups:.1f} ms from the daily figures, "
        f"{from_raw:.1f} ms for the same figures on the raw tables "
        f"(ratio {from_raw / from_rollups:.1f}x)",
        flush=True,
    )
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    engines: dict[str, Callable] = {"sqlite": sqlite_databases, "postgresql": postgres_databases}
    for engine in args.engines.split(","):
        with engines[engine]() as make_database:
            case(make_database("dashboard"), args.invoices)


if __name__ == "__main__":
    main()
