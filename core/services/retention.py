"""Keeping personal data no longer than it serves: the bodies of store webhooks once applied
(an order's customer, address, phone...) and carts untouched for the retention period (by
then finished, recovered, or their 7-day link long expired) are let go. Events that failed
keep their body, for the merchant to see and retry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update

from core.services.context import ServiceContext
from core.storage.models import StoreCart, StoreEvent

#: Long enough to answer a merchant's "what did the store send?", short for personal data.
RETENTION = timedelta(days=30)
ERASED_BODY = ""


def purge_old_store_data(ctx: ServiceContext, retention: timedelta = RETENTION) -> dict[str, int]:
    """Erase applied webhook bodies and delete carts untouched for longer than `retention`."""
    cutoff = ctx.clock() - retention
    with ctx.db.transaction() as session:
        connection = session.connection()
        bodies = connection.execute(
            update(StoreEvent)
            .where(
                StoreEvent.processed_at.is_not(None),
                StoreEvent.received_at < cutoff,
                StoreEvent.body != ERASED_BODY,
            )
            .values(body=ERASED_BODY)
        )
        finished = connection.execute(delete(StoreCart).where(StoreCart.updated_at < cutoff))
    return {"event_bodies": bodies.rowcount, "carts": finished.rowcount}
