"""The PrestaShop path end to end on real sockets, the module's own PHP run by php-cli: the
merchant pairs the shop (the module's Connect, approval in the console, the module's callback
over HTTP), the module's actionValidateOrder POSTs a signed event for an order in the
"Awaiting Paylink payment" state, the invoice's SMS reaches a fake SMSFactor with the link, the
customer pays with the sandbox, and the fake Webservice receives the order history, the
payment's transaction id and one private message (as XML it parses). A repeated and a
reordered event change nothing; an order the module never sent is caught by the poller; an
abandoned cart becomes an invoice and, once paid, an order made by the module's PHP."""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qsl, urlsplit

import pytest

from core.services.invoice_queries import invoice_timeline
from core.services.store_sync import schedule_polls
from core.storage.models import Invoice, Store
from tests.support.console import csrf_token, sign_in
from tests.support.fake_prestashop import FakePrestaShop, ps_order
from tests.support.live_server import serving
from tests.support.php_shop import PhpShop
from tests.support.store_e2e import live_paylink

CART = {
    "id_customer": 5,
    "id_address_invoice": 8,
    "id_address_delivery": 8,
    "id_currency": 1,
    "id_lang": 1,
    "date_upd": "2026-03-02 09:30:00",  # UTC, the zone shop.php sets, like the test clock
    "products": [{"name": "Bougie parfumée", "cart_quantity": 2, "price_wt": 18.0, "price": 15.0}],
    "shipping": 4.9,
}


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_prestashop_order_is_invoiced_texted_paid_and_marked_paid(
    database_url, tmp_path, database, clock, httpserver
):
    live = live_paylink(database_url, tmp_path, database, clock, httpserver)
    app, settings, ctx, worker, texts = live.app, live.settings, live.ctx, live.worker, live.texts
    base = httpserver.url_for("").rstrip("/")
    presta = FakePrestaShop(httpserver, clock=clock)
    shop = PhpShop(
        tmp_path,
        clock,
        {
            "customers": {
                "5": {
                    "email": "marie@example.fr",
                    "firstname": "Marie",
                    "lastname": "Curie",
                    "secure_key": "b44a6d9e",
                }
            },
            "addresses": {"8": {"phone": "", "phone_mobile": "06 12 34 56 78", "id_country": 8}},
            "countries": {"8": "FR"},
            "currencies": {"1": {"iso_code": "EUR"}},
            "carts": {"90": CART},
            "orders": {"42": {"id_cart": 77, "reference": "XKBKNABJK"}},
        },
    )
    presta.recover_with = lambda body, timestamp, signature: _recover(
        shop, body, timestamp, signature
    )
    connectors = live.connectors

    with serving(app, live.port):
        # Pairing: the module's Connect, the merchant's approval, the module's callback.
        back_office = f"{base}/admin-x/index.php?controller=AdminModules&configure=paylink"
        install = shop.run("pair-start", settings.base_url, base, back_office)
        browser = sign_in(app.test_client(), ctx, live.owner.id)
        page = browser.get(install.removeprefix(settings.base_url))
        approved = browser.post(
            "/connectors/prestashop/install",
            data={
                "shop_url": base,
                "return_url": back_office,
                "csrf_token": csrf_token(page.get_data(as_text=True)),
            },
        )
        state = dict(parse_qsl(urlsplit(approved.location).query))["paylink_state"]
        assert shop.run("pair-finish", state, base) == ""
        configured = shop.data()["configuration"]
        (key,) = shop.data()["webservice_keys"].values()
        presta.key = key["key"]  # the shop's Webservice now knows the key the module made
        worker.run(until_idle=True)  # the setup job tries the key
        with ctx.db.transaction() as session:
            (store,) = session.query(Store).all()
        assert configured["PAYLINK_EVENTS_URL"].endswith(
            f"/connectors/prestashop/events/{store.id}"
        )

        # The customer chose "Pay by link": the order waits in the module's state.
        presta.add(ps_order())
        shop.run("validate-order", "42")
        shop.run("validate-order", "42")  # sent again: a second event for the same order
        worker.run(until_idle=True)
        shop.run("status-update", "42")  # a late status event for the state it already had
        worker.run(until_idle=True)
        (sms,) = texts
        assert sms["to"] == "33612345678"
        assert "40,90" in live.pay_and_push(live.last_link())

        # An order the module never sent: the poller finds it.
        presta.add(
            ps_order(id=43, id_cart="78", reference="QWERTYUIO", date_upd="2026-03-02 10:20:00")
        )
        schedule_polls(ctx, connectors, settings.store_poll_seconds)
        worker.run(until_idle=True)

        # A cart left with two candles: invoiced after the delay, paid, ordered by the module.
        shop.run("cart-save", "90")
        worker.run(until_idle=True)
        clock.advance(minutes=61)
        worker.run(until_idle=True)
        asking = [text for text in texts if not text["text"].startswith("Merci")]
        assert len(asking) == 3, texts  # the first order's receipt is the other one
        live.pay_and_push(live.last_link())

    with ctx.db.transaction() as session:
        invoices = session.query(Invoice).order_by(Invoice.id).all()
    assert [(i.source_kind, i.external_id, i.status.value) for i in invoices] == [
        ("order", "42", "paid"),
        ("order", "43", "open"),
        ("cart", "90", "paid"),
    ]
    assert presta.histories == [{"id_order": "42", "id_order_state": "2"}]
    (payment,) = presta.payments
    assert payment["transaction_id"].startswith("pay_sbx_") and payment["amount"] == "40.90"
    (note,) = presta.messages
    assert invoices[0].number in note["message"] and note["private"] == "1"
    recovered = shop.data()["orders"]
    made = [order for order in recovered.values() if order["id_cart"] == 90]
    assert len(made) == 1, recovered
    timeline = invoice_timeline(ctx, invoices[2].merchant_id, invoices[2].id)
    outcome = [e.data["outcome"] for e in timeline if e.kind == "store_updated"][-1]
    assert outcome == f"order {made[0]['reference']} made in the shop, paid"


def _recover(shop: PhpShop, body: bytes, timestamp: str, signature: str) -> tuple[int, dict]:
    env = {**os.environ, "PAYLINK_TIMESTAMP": timestamp, "PAYLINK_SIGNATURE": signature}
    answered = json.loads(shop.run("recover", stdin=body, env=env))
    return answered["status"], answered["answer"]
