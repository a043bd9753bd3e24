"""The WooCommerce path end to end on real sockets: the merchant connects a store from the
console, the store POSTs the keys to the callback, the worker creates our webhooks on the fake
store, a signed order.created arrives (encoded as WordPress does), the invoice's SMS reaches a
fake SMSFactor with the link, the customer pays with the sandbox (its webhook over HTTP), and
the fake store's order is moved on with the provider's payment id and noted. A missed delivery
is caught by the poller the same way."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from core.services.store_sync import schedule_polls
from core.storage.models import Invoice, Store
from tests.support.console import sign_in
from tests.support.fake_woocommerce import (
    KEY,
    SECRET,
    FakeWooCommerce,
    delivery_headers,
    woo_order,
    wp_json_encode,
)
from tests.support.live_server import serving
from tests.support.store_e2e import live_paylink


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_woocommerce_order_is_invoiced_texted_paid_and_marked_paid(
    database_url, tmp_path, database, clock, httpserver
):
    live = live_paylink(database_url, tmp_path, database, clock, httpserver)
    app, settings, ctx, shop, worker = live.app, live.settings, live.ctx, live.owner, live.worker
    base = httpserver.url_for("").rstrip("/")
    woo = FakeWooCommerce(httpserver)
    connectors = live.connectors

    with serving(app, live.port):
        # The merchant connects the store; the store's server POSTs the keys back.
        browser = sign_in(app.test_client(), ctx, shop.id)
        authorize = browser.get(f"/connectors/woocommerce/install?store_url={base}").location
        state = dict(parse_qsl(urlsplit(authorize).query))["user_id"]
        keys = {
            "key_id": 1,
            "user_id": state,
            "consumer_key": KEY,
            "consumer_secret": SECRET,
            "key_permissions": "read_write",
        }
        store_server = app.test_client()
        assert store_server.post("/connectors/woocommerce/callback", json=keys).status_code == 200
        worker.run(until_idle=True)  # our webhooks are created on the store
        hook = next(h for h in woo.webhooks.values() if h["topic"] == "order.created")
        with ctx.db.transaction() as session:
            (store,) = session.query(Store).all()
        assert hook["delivery_url"].endswith(f"/connectors/woocommerce/webhooks/{store.id}")

        # A signed order.created, as WooCommerce's Action Scheduler delivers it (twice).
        order = woo.add(woo_order())
        body = wp_json_encode(order)
        for _ in range(2):
            answer = store_server.post(
                urlsplit(hook["delivery_url"]).path,
                data=body,
                headers=delivery_headers(body, hook["secret"], "order.created", hook["id"]),
            )
            assert answer.status_code == 200
        worker.run(until_idle=True)

        (sms,) = live.texts
        assert sms["to"] == "33612345678"
        assert "40,90" in live.pay_and_push(live.last_link())

        # A second order whose delivery never came: the poller finds it.
        woo.add(woo_order(id=728, number="728", date_modified_gmt="2026-03-02T09:29:00"))
        schedule_polls(ctx, connectors, settings.store_poll_seconds)
        worker.run(until_idle=True)

    with ctx.db.transaction() as session:
        invoices = session.query(Invoice).order_by(Invoice.id).all()
    assert [(i.external_id, i.status.value) for i in invoices] == [("727", "paid"), ("728", "open")]
    (put,) = [body for method, path, body in woo.received if method == "PUT" and "orders" in path]
    assert put["status"] == "processing" and put["transaction_id"].startswith("pay_sbx_")
    assert woo.orders[727]["status"] == "processing"
    (note,) = woo.notes[727]
    assert invoices[0].number in note["note"] and note["customer_note"] is False
