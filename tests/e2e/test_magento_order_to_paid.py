"""The Magento path end to end on real sockets, the module's own PHP run by php-cli: Magento's
activation POST reaches Paylink, which exchanges the tokens with the (fake) store at once; the
module's observer POSTs a signed order.placed for a "Pay by link" order (twice); the invoice's
SMS reaches a fake SMSFactor; the customer pays with the sandbox; the store receives one
schema-valid invoice call (`capture: false`) and one comment. An abandoned quote found by the
poller is invoiced, paid, placed with "Pay by link" and invoiced in the store."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import requests

from core.services.store_sync import schedule_polls
from core.storage.models import Invoice, Store
from tests.connectors.prestashop.php_tools import need
from tests.support.console import sign_in
from tests.support.fake_magento import (
    CONSUMER_KEY,
    CONSUMER_SECRET,
    VERIFIER,
    FakeMagento,
    mg_order,
    mg_quote,
)
from tests.support.live_server import serving
from tests.support.store_e2e import live_paylink

SEND_EVENT = (
    Path(__file__).resolve().parents[1] / "connectors" / "magento" / "php" / "send_event.php"
)


def module_sends(tmp_path, paylink_url, store_url, now, kind, order_id) -> str:
    """The module's observer, run by php-cli, telling Paylink about an order."""
    state = tmp_path / "magento.json"
    state.write_text(
        json.dumps(
            {
                "config": {"paylink/general/url": paylink_url},
                "integrations": {"Paylink": {"consumer_id": 7}},
                "consumers": {"7": {"secret": CONSUMER_SECRET}},
                "base_url": f"{store_url}/",
                "now": now,
            }
        )
    )
    done = subprocess.run(
        [need("php"), str(SEND_EVENT), str(state), kind, str(order_id)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_magento_order_is_invoiced_texted_paid_and_invoiced_in_the_store(
    database_url, tmp_path, database, clock, httpserver
):
    live = live_paylink(database_url, tmp_path, database, clock, httpserver)
    ctx, worker, settings = live.ctx, live.worker, live.settings
    store_url = httpserver.url_for("").rstrip("/")
    magento = FakeMagento(httpserver)

    with serving(live.app, live.port):
        # The merchant's Integration: Magento POSTs the activation to the callback address.
        browser = sign_in(live.app.test_client(), ctx, live.owner.id)
        page = browser.get("/connectors/magento/install", query_string={"store_url": store_url})
        callback = page.get_data(as_text=True).split('id="callback" class="copy" readonly value="')[
            1
        ]
        callback = callback.split('"')[0]
        activation = requests.post(
            callback,
            data={
                "oauth_consumer_key": CONSUMER_KEY,
                "oauth_consumer_secret": CONSUMER_SECRET,
                "store_base_url": f"{store_url}/",
                "oauth_verifier": VERIFIER,
            },
            timeout=10,
        )
        assert activation.status_code == 200, activation.text
        worker.run(until_idle=True)  # the setup job tries the token

        # A "Pay by link" order: the module's observer announces it (the order saved again
        # right after sends a second event).
        magento.add(mg_order())
        now = int(clock().timestamp())
        assert module_sends(tmp_path, settings.base_url, store_url, now, "placed", 42) == "1"
        assert module_sends(tmp_path, settings.base_url, store_url, now, "saved", 42) == "1"
        worker.run(until_idle=True)
        (sms,) = live.texts
        assert sms["to"] == "33612345678"
        assert "40,90" in live.pay_and_push(live.last_link())

        # A quote left with two candles, found by the poller, paid, placed.
        magento.quotes[90] = mg_quote(updated_at="2026-03-02 09:30:00")
        schedule_polls(ctx, live.connectors, settings.store_poll_seconds)
        worker.run(until_idle=True)
        clock.advance(minutes=61)
        worker.run(until_idle=True)
        live.pay_and_push(live.last_link())

    with ctx.db.transaction() as session:
        invoices = session.query(Invoice).order_by(Invoice.id).all()
        (store,) = session.query(Store).all()
    assert store.active
    assert [(i.source_kind, i.external_id, i.status.value) for i in invoices] == [
        ("order", "42", "paid"),
        ("cart", "90", "paid"),
    ]
    first, second = magento.invoices
    assert first == {"order_id": 42, "capture": False, "notify": True}
    assert magento.orders[second["order_id"]]["quote_id"] == 90
    (comment,) = magento.comments[42]
    assert invoices[0].number in comment["comment"] and "pay_sbx_" in comment["comment"]
    assert not magento.violations, "\n".join(magento.violations)
