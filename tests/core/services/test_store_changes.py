"""The one core service that applies what stores say (core.services.store_changes), whatever
the platform: changes applied in order with one outcome, nothing done when any is unusable, an
order edited after its invoice refused with the reason, a stale uninstall not applied."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.errors import UnusablePayload
from core.services import accounts
from core.services.store_changes import apply_changes
from core.services.store_secrets import store_ref
from core.storage.models import Invoice
from core.store_changes import (
    CartOrdered,
    Ignored,
    OrderSettled,
    StoreUninstalled,
    Unusable,
)
from tests.support.factories import content, merchant, order


@pytest.fixture
def store(ctx):
    shop = merchant(ctx)
    row = accounts.connect_store(ctx, shop.id, "woocommerce", "lune.example", {"key": "k"})
    return store_ref(ctx, row)


def test_changes_are_applied_in_order_with_one_outcome(ctx, store):
    outcome = apply_changes(
        ctx,
        store,
        [CartOrdered("order-1001", None, known_only=True), order("1001", store.id)],
    )
    # A cart nobody followed says nothing; the invoice is named.
    assert outcome.startswith("invoice F-") and ";" not in outcome
    again = apply_changes(ctx, store, [order("1001", store.id)])
    assert again.endswith("(already made)")


def test_an_unusable_change_stops_the_others_before_anything_is_done(ctx, store):
    with pytest.raises(UnusablePayload, match="lines do not add up"):
        apply_changes(ctx, store, [order("1001", store.id), Unusable("lines do not add up")])
    settled = apply_changes(ctx, store, [OrderSettled("1001", "paid in the store")])
    assert settled == "paid in the store: no invoice"


def test_an_order_edited_after_its_invoice_is_refused_with_the_reason(ctx, store):
    apply_changes(ctx, store, [order("1001", store.id)])
    edited = order("1001", store.id, content=content("99.00"))
    with pytest.raises(UnusablePayload, match="order 1001 changed"):
        apply_changes(ctx, store, [edited])


def test_settling_an_order_cancels_its_unpaid_invoice(ctx, store):
    apply_changes(ctx, store, [order("1001", store.id)])
    outcome = apply_changes(ctx, store, [OrderSettled("1001", "order cancelled in the store")])
    assert outcome.endswith("cancelled")
    (invoice,) = invoicing_of(ctx, store)
    assert invoice.status.value == "void"


def test_an_uninstall_older_than_the_latest_install_is_stale(ctx, store, clock):
    assert store.connected_at is not None
    stale = StoreUninstalled(store.connected_at - timedelta(minutes=5))
    assert apply_changes(ctx, store, [stale]).startswith("stale")
    assert accounts.merchant_stores(ctx, store.merchant_id)[0].active
    assert apply_changes(ctx, store, [StoreUninstalled(clock())]) == "store disconnected"
    assert not accounts.merchant_stores(ctx, store.merchant_id)[0].active


def test_ignored_changes_say_why(ctx, store):
    assert apply_changes(ctx, store, [Ignored("ignored (product.created)")]) == (
        "ignored (product.created)"
    )
    assert apply_changes(ctx, replace(store), []) == "nothing to do"


def invoicing_of(ctx, store):
    with ctx.db.transaction() as session:
        return list(session.scalars(select(Invoice).where(Invoice.store_id == store.id)))
