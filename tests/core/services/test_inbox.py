"""Inboxes: the deliveries waiting for one group commit (SQLite) are kept in one multi-row INSERT
with their jobs in another; on PostgreSQL each alone, with its job, in one statement. Each is
kept once however it repeats (in the batch, in an earlier commit, from many threads at once), on
SQLite and PostgreSQL."""

import threading

import pytest
from sqlalchemy import func, select

from core.services import accounts
from core.services.inbox import Delivery, Inbox
from core.storage.models import Job, StoreEvent
from tests.support.factories import merchant
from tests.support.sql_counts import counted_statements


@pytest.fixture
def inbox(ctx):
    return Inbox(ctx, StoreEvent, ("store_id", "event_key"), "stores.process_event", "test")


@pytest.fixture
def store(ctx):
    shop = merchant(ctx)
    return accounts.connect_store(ctx, shop.id, "woocommerce", "lune.example", {"key": "k"})


def values(ctx, store, key):
    return {
        "store_id": store.id,
        "platform": "woocommerce",
        "event_key": key,
        "topic": "order.created",
        "body": f'{{"key": "{key}"}}',
        "triggered_at": None,
        "received_at": ctx.clock(),
    }


def delivery(ctx, store, key):
    return Delivery(values(ctx, store, key), None, {})


def kept(ctx):
    with ctx.db.reading() as session:
        events = session.execute(select(StoreEvent.id, StoreEvent.event_key)).all()
        jobs = session.scalars(select(Job.payload).where(Job.kind == "stores.process_event"))
        return {key: event_id for event_id, key in events}, sorted(p["event_id"] for p in jobs)


def test_a_batch_is_two_statements_and_repeats_are_kept_once(ctx, inbox, store):
    assert inbox.keep(values(ctx, store, "c"), None) is True
    batch = [delivery(ctx, store, key) for key in ["a", "b", "a", "c"]]
    with counted_statements(ctx.db.engine) as counted, ctx.db.transaction() as session:
        results = inbox(session, batch)
    assert results == [True, True, False, False]
    assert len(counted.statements) == 2 and len(counted.writes) == 2
    events, job_events = kept(ctx)
    assert sorted(events) == ["a", "b", "c"]
    assert job_events == sorted(events.values())  # one job each, naming its own row


def test_deliveries_from_many_threads_are_each_kept_once(ctx, inbox, store):
    results = []

    def send(key):
        results.append((key, inbox.keep(values(ctx, store, key), None)))

    threads = [threading.Thread(target=send, args=(f"k{n % 10}",)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(key for key, new in results if new) == sorted(f"k{n}" for n in range(10))
    events, job_events = kept(ctx)
    assert len(events) == 10 and job_events == sorted(events.values())
    with ctx.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(StoreEvent)) == 10


def job_rows(ctx):
    """Each job as stored, by its key: what it does, for whom, when (its own id aside)."""
    with ctx.db.reading() as session:
        jobs = session.scalars(select(Job).where(Job.kind == "stores.process_event"))
        return {
            job.idempotency_key: (
                job.payload,
                job.merchant_id,
                job.status,
                job.run_at,
                job.attempts,
                job.max_attempts,
                job.created_at,
            )
            for job in jobs
        }


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_delivery_is_one_statement_and_its_job_as_a_batchs(ctx, inbox, store):
    """Alone in autocommit: the row and its job in one statement, no transaction around it; a
    retry keeps nothing more; the job is the one the group commit's path writes."""
    alone = values(ctx, store, "alone")
    with counted_statements(ctx.db.engine) as counted:
        assert inbox.keep(alone, store.merchant_id, store_id=store.id) is True
    assert (len(counted.statements), len(counted.writes), counted.transactions) == (1, 1, 0)
    assert inbox.keep(alone, store.merchant_id, store_id=store.id) is False
    with ctx.db.transaction() as session:
        inbox(
            session,
            [Delivery(values(ctx, store, "batched"), store.merchant_id, {"store_id": store.id})],
        )
    events, _ = kept(ctx)
    jobs = job_rows(ctx)
    assert sorted(jobs) == sorted(f"test:{events[key]}" for key in ("alone", "batched"))
    made_alone, batched = jobs[f"test:{events['alone']}"], jobs[f"test:{events['batched']}"]
    assert made_alone[0] == {"event_id": events["alone"], "store_id": store.id}
    assert made_alone[1:] == batched[1:]
