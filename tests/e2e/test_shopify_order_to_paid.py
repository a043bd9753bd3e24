"""The bar of the Shopify issue, end to end on real sockets: install the app on a fake shop,
a signed orders/create arrives, the invoice's SMS reaches a fake SMSFactor with the link, the
customer opens it and pays with the sandbox (whose webhook travels over HTTP), and the fake shop
receives a schema-valid orderMarkAsPaid for that order's GID. Replayed deliveries change nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import replace
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from connectors.shopify.auth import query_message
from core.jobs import JobQueue, Worker
from core.services.job_handlers import core_handlers
from core.services.merchant_users import create_user
from core.services.payment_accounts import configure_payment_account
from core.storage.models import Invoice
from core.web import create_app
from tests.connectors.shopify.conftest import CLIENT_SECRET
from tests.core.web.conftest import settings as web_settings
from tests.support.factories import merchant
from tests.support.fake_shopify import FakeShop, webhook_headers
from tests.support.live_server import free_port, serving
from tests.support.providers import json_answer
from tests.support.shopify_reference import admin_schema, unpaid_order

PASSWORD = "correct horse battery"
ORDER_GID = "gid://shopify/Order/450789469"


@pytest.fixture
def base_settings(database_url, tmp_path):
    return web_settings.__wrapped__(database_url, tmp_path)


@pytest.fixture
def schema():
    return admin_schema()


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_an_order_is_invoiced_texted_paid_and_marked_paid_in_the_shop(
    base_settings, database, clock, httpserver, schema
):
    port = free_port()
    base = httpserver.url_for("").rstrip("/")
    configured = replace(
        base_settings,
        base_url=f"http://127.0.0.1:{port}",
        shopify_client_id="client-id",
        shopify_client_secrets=(CLIENT_SECRET,),
        provider_api_bases={"shopify": base, "smsfactor": base},
        sms_channel="smsfactor",
        smsfactor_token="sf-token",
    )
    app = create_app(configured, clock, database)
    ctx = app.extensions["paylink"]
    shop = merchant(ctx)
    configure_payment_account(ctx, app.extensions["paylink.providers"], shop.id, "sandbox", {})
    create_user(ctx, shop.id, "owner@lune.fr", "Léa", PASSWORD)
    fake = FakeShop(schema, token="shpat_live")
    texts = []
    httpserver.expect_request("/admin/oauth/access_token", method="POST").respond_with_response(
        json_answer({"access_token": "shpat_live", "scope": "read_orders,write_orders"})
    )
    httpserver.expect_request(
        "/admin/api/2025-01/graphql.json", method="POST"
    ).respond_with_handler(fake)
    httpserver.expect_request("/send", method="GET").respond_with_handler(
        lambda request: (
            texts.append(dict(request.args))
            or json_answer(
                {"status": 1, "message": "OK", "ticket": "14672468", "sent": 1, "invalid": 0}
            )
        )
    )
    worker = Worker(
        JobQueue(ctx.db, clock),
        core_handlers(
            ctx,
            app.extensions["paylink.providers"],
            app.extensions["paylink.messaging"],
            app.extensions["paylink.connectors"],
        ),
    )

    with serving(app, port):
        browser = app.test_client()
        # The merchant connects the shop from the console.
        login = browser.get("/console/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        browser.post(
            "/console/login",
            data={"email": "owner@lune.fr", "password": PASSWORD, "csrf_token": token},
        )
        authorize = browser.get("/connectors/shopify/install?shop=lune.myshopify.com").location
        state = dict(parse_qsl(urlsplit(authorize).query))["state"]
        callback = {
            "code": "c0de",
            "shop": "lune.myshopify.com",
            "state": state,
            "timestamp": str(int(clock().timestamp())),
        }
        callback["hmac"] = hmac.new(
            CLIENT_SECRET.encode(), query_message(callback).encode(), hashlib.sha256
        ).hexdigest()
        assert browser.get(f"/connectors/shopify/callback?{urlencode(callback)}").status_code == 303

        # Shopify sends orders/create (twice, as it may), signed.
        order = unpaid_order(phone="+33612345678")
        body = json.dumps(order).encode()
        headers = webhook_headers(body, CLIENT_SECRET, event_id="e-1")
        shopify = app.test_client()
        for _ in range(2):
            assert (
                shopify.post("/connectors/shopify/webhooks", data=body, headers=headers).status_code
                == 200
            )
        worker.run(until_idle=True)

        # The customer's phone gets the SMS with our link.
        (sms,) = texts
        assert sms["to"] == "33612345678" and sms["pushtype"] == "alert"
        link = re.search(r"http://127\.0\.0\.1:\d+/i/\S+", sms["text"]).group(0)
        code = link.rsplit("/", 1)[-1]

        # They open it and pay with the sandbox; its signed webhook comes back over HTTP.
        customer = app.test_client()
        page = customer.get(f"/i/{code}").get_data(as_text=True)
        assert "598,94" in page
        form = re.search(r'name="token" value="([^"]+)"', page).group(1)
        checkout = customer.post(
            f"/i/{code}/pay", data={"token": form, "method": "sandbox"}
        ).location
        customer.post(
            checkout.removeprefix(configured.base_url), data={"outcome": "payment.succeeded"}
        )
        worker.run(until_idle=True)  # the webhook delivery, then its processing
        worker.run(until_idle=True)  # the push to the shop

    with ctx.db.transaction() as session:
        (invoice,) = session.query(Invoice).all()
    assert invoice.status.value == "paid"
    names = [name for name, _ in fake.received]
    assert names == ["OrderPaymentState", "OrderMarkAsPaid", "TagsAdd", "MetafieldsSet"]
    assert fake.received[1][1] == {"input": {"id": ORDER_GID}}
