"""Keeping connected stores in step beyond their webhooks: a setup job once a store is
connected (its connector creates its webhooks), and a periodic poll of the stores whose
platform can lose deliveries for good (WooCommerce never retries one)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.connector import Connector
from core.errors import AccessRevoked, NotFound, UnusablePayload
from core.jobs import NewJob
from core.services import accounts
from core.services.context import ServiceContext
from core.services.store_changes import apply_changes
from core.services.store_secrets import store_ref
from core.storage.models import Store
from core.store_changes import StoreRef

JOB_SETUP_STORE = "stores.setup"
JOB_POLL_STORE = "stores.poll"
#: A poll reads again a little before where the last one stopped (clocks, slow saves).
POLL_OVERLAP = timedelta(minutes=5)
#: A first poll looks this far back.
FIRST_POLL = timedelta(days=2)


def request_setup(ctx: ServiceContext, session: Session, store: Store) -> None:
    """The store was just connected (or reconnected): its connector sets it up in a job."""
    now = ctx.clock()
    ctx.enqueue(
        session,
        NewJob(
            JOB_SETUP_STORE,
            {"store_id": store.id},
            f"store:{store.id}:setup:{now.isoformat()}",
            now,
            store.merchant_id,
        ),
    )


def _active_store(ctx: ServiceContext, store_id: int) -> Store | None:
    with ctx.db.transaction() as session:
        store = session.get(Store, store_id)
    if store is None:
        raise NotFound(f"no store {store_id}")
    return store if store.active else None


def setup_store(ctx: ServiceContext, connectors: dict[str, Connector], store_id: int) -> str:
    return _on_store(ctx, connectors, store_id, _set_up)


def poll_store(ctx: ServiceContext, connectors: dict[str, Connector], store_id: int) -> str:
    return _on_store(ctx, connectors, store_id, _poll)


def _set_up(ctx: ServiceContext, connector: Connector, store: StoreRef) -> str:
    done = connector.setup_store(store)
    if done.webhooks_ready and not store.webhooks_ready:
        accounts.mark_webhooks_ready(ctx, store.id)
    return done.outcome


def _poll(ctx: ServiceContext, connector: Connector, store: StoreRef) -> str:
    """The records changed since the last poll, applied as their deliveries would be (what a
    lost delivery missed is caught here; one unusable record stops no other); the webhooks
    are checked first. The next poll starts from when this one started, less an overlap."""
    hooks = _set_up(ctx, connector, store)
    started = ctx.clock()
    since = store.polled_until - POLL_OVERLAP if store.polled_until else started - FIRST_POLL
    applied, refused = 0, []
    for record in connector.poll(store, since):
        try:
            apply_changes(ctx, store, record.changes)
            applied += 1
        except UnusablePayload as error:
            refused.append(f"{record.ref}: {error}")
    accounts.record_poll(ctx, store.id, started)
    unusable = f"; unusable: {' | '.join(refused)}" if refused else ""
    return f"{applied} records applied{unusable}; {hooks}"


def _on_store(
    ctx: ServiceContext,
    connectors: dict[str, Connector],
    store_id: int,
    action: Callable[[ServiceContext, Connector, StoreRef], str],
) -> str:
    """Run a connector's action on a store still connected; a store refusing our credentials
    is disconnected rather than failed again at every run."""
    store = _active_store(ctx, store_id)
    if store is None or store.platform not in connectors:
        return "store disconnected"
    try:
        return action(ctx, connectors[store.platform], store_ref(ctx, store))
    except AccessRevoked as refused:
        return accounts.disconnect_refused_store(ctx, store, refused)


def schedule_polls(
    ctx: ServiceContext, connectors: dict[str, Connector], interval_seconds: int
) -> int:
    """A poll job for every active store of a polled platform, one per store and interval
    (keyed by the interval's number, so several workers running this add each one once)."""
    platforms = [name for name, connector in connectors.items() if connector.polls]
    if not platforms:
        return 0
    with ctx.db.transaction() as session:
        stores = session.scalars(
            select(Store).where(Store.active.is_(True), Store.platform.in_(platforms))
        ).all()
        ctx.enqueue_each_interval(
            session,
            JOB_POLL_STORE,
            [(f"store:{s.id}:poll", {"store_id": s.id}, s.merchant_id) for s in stores],
            interval_seconds,
        )
    return len(stores)
