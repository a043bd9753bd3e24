"""Reminders at scale: (1) the sweep that finds due steps and enqueues them, timed with 10,000
due steps among 100,000 and among 1,000,000 invoices (the due ones sit at the front of a
partial index, so the time must not grow with the total: the ratio is printed); (2) messages
per second claimed, rendered and stored through the outbox channel with 1 and 4 worker
processes, on SQLite and PostgreSQL, both durable.

Run: `python -m bench.reminders [--due 10000] [--totals 100000,1000000] [--messages 2000]`.
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select

from bench.jobs import in_processes, postgres_databases, sqlite_databases
from core.encryption import Keyring, generate_key
from core.jobs import JobQueue, Worker
from core.services.context import ServiceContext
from core.services.invoice_creation import create_invoice
from core.services.invoicing import JOB_RENDER_DOCUMENT
from core.services.job_handlers import core_handlers
from core.services.reminder_schedule import sweep_due_reminders
from core.storage.database import Database
from core.storage.models import Invoice, Job, Message
from tests.support.factories import merchant, order, provider_env

CHUNK = 20_000


def _invoice_rows(merchant_id: int, start: int, count: int, due: int, now: datetime) -> list[dict]:
    """Invoices as they stand after a while: the first `due` have a step due now, a fifth of
    the rest wait for a later one, the others are paid (nothing ahead)."""
    rows = []
    for n in range(start, start + count):
        if n < due:
            next_at, step = now - timedelta(minutes=5), "reminder-1"
        elif n % 5 == 0:
            next_at, step = now + timedelta(days=1 + n % 30), "reminder-2"
        else:
            next_at, step = None, None
        rows.append(
            {
                "merchant_id": merchant_id,
                "source_kind": "api",
                "external_id": f"bench-{n}",
                "number": f"B-{n:08d}",
                "reference_key": f"B{n:08d}",
                "link_code": secrets.token_urlsafe(9),
                "status": "open" if next_at else "paid",
                "currency": "EUR",
                "subtotal": 7550,
                "tax": 0,
                "shipping": 0,
                "discount": 0,
                "total": 7550,
                "taxes_included": True,
                "amount_paid": 0 if next_at else 7550,
                "amount_refunded": 0,
                "customer_name": "Marie Curie",
                "customer_locale": "fr",
                "due_at": now + timedelta(days=6),
                "created_at": now - timedelta(days=1),
                "updated_at": now - timedelta(days=1),
                "opened_at": now - timedelta(days=1),
                "next_reminder_at": next_at,
                "next_reminder_step": step,
            }
        )
    return rows


def sweep_case(url: str, total: int, due: int) -> tuple[float, int]:
    database = Database(url)
    keyring = Keyring.parse(f"b1:{generate_key()}")
    now = datetime.now(UTC)
    ctx = ServiceContext(db=database, keyring=keyring, clock=lambda: now)
    shop = merchant(ctx)
    for start in range(0, total, CHUNK):
        with database.transaction() as session:
            session.execute(
                insert(Invoice), _invoice_rows(shop.id, start, min(CHUNK, total - start), due, now)
            )
    if database.engine.dialect.name == "postgresql":
        # Steady state, as autovacuum leaves a live table: statistics, visibility map and hint
        # bits set, and the bulk load's dirty pages written, so the timing is the sweep's own.
        with database.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            connection.exec_driver_sql("VACUUM ANALYZE invoices")
            connection.exec_driver_sql("CHECKPOINT")
    started = time.perf_counter()
    moved = sweep_due_reminders(ctx)
    seconds = time.perf_counter() - started
    with database.transaction() as session:
        queued = session.scalar(
            select(func.count()).select_from(Job).where(Job.kind == "messages.send_step")
        )
    database.dispose()
    assert moved == due == queued, (moved, due, queued)
    return seconds, moved


def drain_messages(url: str, key: str) -> None:
    database = Database(url)
    ctx = ServiceContext(db=database, keyring=Keyring.parse(key))
    handlers = core_handlers(ctx, provider_env(ctx))
    Worker(JobQueue(database), handlers).run(until_idle=True)
    database.dispose()


def messages_case(url: str, count: int, workers: int) -> float:
    key = f"b1:{generate_key()}"
    database = Database(url)
    ctx = ServiceContext(db=database, keyring=Keyring.parse(key))
    shop = merchant(ctx)
    for n in range(count):  # each invoice enqueues its first step, as in production
        create_invoice(ctx, shop.id, order(f"m-{n}"))
    with database.transaction() as session:  # documents are bench.pdf's: messages only here
        session.execute(delete(Job).where(Job.kind == JOB_RENDER_DOCUMENT))
    database.dispose()
    seconds = in_processes(drain_messages, [(url, key)] * workers)
    database = Database(url)
    with database.transaction() as session:
        stored = session.scalar(select(func.count()).select_from(Message))
    database.dispose()
    assert stored == count, (stored, count)
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--totals", default="100000,1000000")
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    totals = [int(t) for t in args.totals.split(",")]
    engines: dict[str, Callable] = {"sqlite": sqlite_databases, "postgresql": postgres_databases}
    for engine in args.engines.split(","):
        with engines[engine]() as make_database:
            timings = {}
            for total in totals:
                seconds, moved = sweep_case(make_database(f"sweep_{total}"), total, args.due)
                timings[total] = seconds
                print(
                    f"{engine:<11} sweep {moved} due steps among {total:>9,} invoices: "
                    f"{seconds:6.2f} s ({moved / seconds:,.0f} steps/s)",
                    flush=True,
                )
            print(
                f"{engine:<11} sweep time {totals[-1]:,} / {totals[0]:,} invoices: "
                f"{timings[totals[-1]] / timings[totals[0]]:.2f}",
                flush=True,
            )
            for workers in (1, 4):
                rate = messages_case(make_database(f"messages_{workers}"), args.messages, workers)
                print(
                    f"{engine:<11} outbox messages/s with {workers} worker(s): {rate:,.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
