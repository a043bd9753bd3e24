"""Old personal data goes: applied webhook bodies and carts untouched past the retention are
erased; failed events (still to look at) and recent carts are kept."""

from datetime import timedelta

from sqlalchemy import select

from core.services.accounts import connect_store
from core.services.retention import RETENTION, purge_old_store_data
from core.storage.models import CartStatus, StoreCart, StoreEvent
from tests.support.factories import merchant


def test_old_applied_bodies_and_finished_carts_are_let_go(ctx, clock):
    shop = merchant(ctx)
    store = connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"access_token": "x"})
    old, recent = clock() - RETENTION - timedelta(days=1), clock() - timedelta(days=1)
    with ctx.db.transaction() as session:
        for key, received, processed in (
            ("applied-old", old, old),
            ("applied-recent", recent, recent),
            ("failed-old", old, None),
        ):
            session.add(
                StoreEvent(
                    store_id=store.id,
                    platform="shopify",
                    event_key=key,
                    topic="orders/create",
                    body='{"email": "marie@example.fr"}',
                    received_at=received,
                    processed_at=processed,
                )
            )
        for token, status, updated in (
            ("ordered-old", CartStatus.ORDERED, old),
            ("invoiced-old", CartStatus.INVOICED, old),
            ("ordered-recent", CartStatus.ORDERED, recent),
        ):
            session.add(
                StoreCart(
                    merchant_id=shop.id,
                    store_id=store.id,
                    token=token,
                    status=status.value,
                    created_at=updated,
                    updated_at=updated,
                )
            )
    assert purge_old_store_data(ctx) == {"event_bodies": 1, "carts": 2}
    assert purge_old_store_data(ctx) == {"event_bodies": 0, "carts": 0}  # nothing twice
    with ctx.db.transaction() as session:
        bodies = {e.event_key: e.body for e in session.scalars(select(StoreEvent))}
        tokens = sorted(c.token for c in session.scalars(select(StoreCart)))
    assert bodies["applied-old"] == "" and bodies["applied-recent"] and bodies["failed-old"]
    assert tokens == ["ordered-recent"]
