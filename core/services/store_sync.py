"""Keeping connected stores in step beyond their webhooks: a setup job once a store is
connected (its connector creates its webhooks), and a periodic poll of the stores whose
platform can lose deliveries for good (WooCommerce never retries one)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.connector import Connector
from core.errors import AccessRevoked, NotFound
from core.jobs import NewJob
from core.services import accounts
from core.services.context import ServiceContext
from core.storage.models import Store

JOB_SETUP_STORE = "stores.setup"
JOB_POLL_STORE = "stores.poll"


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
    return _on_store(ctx, connectors, store_id, lambda c, store: c.setup_store(ctx, store))


def poll_store(ctx: ServiceContext, connectors: dict[str, Connector], store_id: int) -> str:
    return _on_store(ctx, connectors, store_id, lambda c, store: c.poll(ctx, store))


def _on_store(
    ctx: ServiceContext,
    connectors: dict[str, Connector],
    store_id: int,
    action: Callable[[Connector, Store], str],
) -> str:
    """Run a connector's action on a store still connected; a store refusing our credentials
    is disconnected rather than failed again at every run."""
    store = _active_store(ctx, store_id)
    if store is None or store.platform not in connectors:
        return "store disconnected"
    try:
        return action(connectors[store.platform], store)
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
    now = ctx.clock()
    slot = int(now.timestamp()) // max(interval_seconds, 1)
    with ctx.db.transaction() as session:
        stores = session.scalars(
            select(Store).where(Store.active.is_(True), Store.platform.in_(platforms))
        ).all()
        ctx.enqueue_many(
            session,
            [
                NewJob(
                    JOB_POLL_STORE,
                    {"store_id": store.id},
                    f"store:{store.id}:poll:{slot}",
                    now,
                    store.merchant_id,
                )
                for store in stores
            ],
        )
    return len(stores)
