"""The bar of the Shopify issue, end to end on real sockets: install the app on a fake shop,
a signed orders/create arrives, the invoice's SMS reaches a fake SMSFactor with the link, the
customer opens it and pays with the sandbox (whose webhook travels over HTTP), and the fake shop
receives a schema-valid orderMarkAsPaid for that order's GID. The same for an abandoned
checkout, which ends as a paid order through draftOrderCreate + draftOrderComplete. Replayed and
reordered deliveries change nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from connectors.shopify.auth import query_message
from core.jobs import JobQueue, Worker
from core.services.job_handlers import core_handlers
from core.services.payment_accounts import configure_payment_account
from core.storage.models import Invoice
from core.web import create_app
from tests.connectors.shopify.conftest import CLIENT_SECRET
from tests.core.web.conftest import settings as web_settings
from tests.support.console import sign_in
from tests.support.factories import merchant
from tests.support.fake_shopify import FakeShop, webhook_headers
from tests.support.live_server import free_port, serving
from tests.support.providers import json_answer
from tests.support.shopify_reference import abandoned_checkout, admin_schema, unpaid_order

ORDER_GID = "gid://shopify/Order/450789469"


@pytest.fixture
def base_settings(database_url, tmp_path):
    return web_settings.__wrapped__(database_url, tmp_path)


@pytest.fixture
def schema():
    return admin_schema()


class World:
    """Paylink serving on a real port, with a fake shop (Admin API, OAuth) and a fake SMSFactor
    on one pytest-httpserver, a worker, and the merchant signed in to the console."""

    def __init__(self, base_settings, database, clock, httpserver, schema, port):
        base = httpserver.url_for("").rstrip("/")
        self.settings = replace(
            base_settings,
            base_url=f"http://127.0.0.1:{port}",
            provider_api_bases={"shopify": base, "smsfactor": base},
            sms_channel="smsfactor",
            environ={
                "PAYLINK_SHOPIFY_CLIENT_ID": "client-id",
                "PAYLINK_SHOPIFY_CLIENT_SECRETS": CLIENT_SECRET,
                "PAYLINK_SMSFACTOR_TOKEN": "sf-token",
            },
        )
        self.clock = clock
        self.app = create_app(self.settings, clock, database)
        self.ctx = self.app.extensions["paylink"]
        shop = merchant(self.ctx)
        providers = self.app.extensions["paylink.providers"]
        configure_payment_account(self.ctx, providers, shop.id, "sandbox", {})
        self.shop = shop
        self.fake = FakeShop(schema, token="shpat_live")
        self.texts = []
        httpserver.expect_request("/admin/oauth/access_token", method="POST").respond_with_response(
            json_answer({"access_token": "shpat_live", "scope": "read_orders,write_orders"})
        )
        httpserver.expect_request(
            "/admin/api/2025-01/graphql.json", method="POST"
        ).respond_with_handler(self.fake)
        httpserver.expect_request("/send", method="GET").respond_with_handler(
            lambda request: (
                self.texts.append(dict(request.args))
                or json_answer(
                    {"status": 1, "message": "OK", "ticket": "14672468", "sent": 1, "invalid": 0}
                )
            )
        )
        self.worker = Worker(
            JobQueue(self.ctx.db, clock),
            core_handlers(
                self.ctx,
                providers,
                self.app.extensions["paylink.messaging"],
                self.app.extensions["paylink.connectors"],
            ),
        )
        self.shopify = self.app.test_client()
        self.deliveries = 0

    def install(self):
        """The merchant connects the shop from the console; Shopify calls back, signed."""
        browser = sign_in(self.app.test_client(), self.ctx, self.shop.id)
        authorize = browser.get("/connectors/shopify/install?shop=lune.myshopify.com").location
        state = dict(parse_qsl(urlsplit(authorize).query))["state"]
        callback = {
            "code": "c0de",
            "shop": "lune.myshopify.com",
            "state": state,
            "timestamp": str(int(self.clock().timestamp())),
        }
        callback["hmac"] = hmac.new(
            CLIENT_SECRET.encode(), query_message(callback).encode(), hashlib.sha256
        ).hexdigest()
        answer = browser.get(f"/connectors/shopify/callback?{urlencode(callback)}")
        assert answer.status_code == 303

    def deliver(self, topic, payload, event_id=None):
        self.deliveries += 1
        body = json.dumps(payload).encode()
        headers = webhook_headers(body, CLIENT_SECRET, topic, event_id or f"e-{self.deliveries}")
        response = self.shopify.post("/connectors/shopify/webhooks", data=body, headers=headers)
        assert response.status_code == 200

    def link_in_last_sms(self, to):
        assert self.texts[-1]["to"] == to
        return re.search(r"http://127\.0\.0\.1:\d+/i/\S+", self.texts[-1]["text"]).group(0)

    def pay(self, link, amount_shown):
        """The customer opens the link and pays with the sandbox; its signed webhook comes back
        over HTTP, and the push to the shop follows."""
        code = link.rsplit("/", 1)[-1]
        customer = self.app.test_client()
        page = customer.get(f"/i/{code}").get_data(as_text=True)
        assert amount_shown in page
        form = re.search(r'name="token" value="([^"]+)"', page).group(1)
        checkout = customer.post(
            f"/i/{code}/pay", data={"token": form, "method": "sandbox"}
        ).location
        customer.post(
            checkout.removeprefix(self.settings.base_url), data={"outcome": "payment.succeeded"}
        )
        self.worker.run(until_idle=True)  # the webhook delivery, then its processing
        self.worker.run(until_idle=True)  # the push to the shop

    def invoices(self):
        with self.ctx.db.transaction() as session:
            return session.query(Invoice).order_by(Invoice.id).all()


@pytest.fixture
def world(base_settings, database, clock, httpserver, schema):
    port = free_port()
    built = World(base_settings, database, clock, httpserver, schema, port)
    with serving(built.app, port):
        built.install()
        yield built


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_an_order_is_invoiced_texted_paid_and_marked_paid_in_the_shop(world):
    order = unpaid_order(phone="+33612345678")
    for _ in range(2):  # Shopify may deliver twice: same event id
        world.deliver("orders/create", order, event_id="e-order")
    world.worker.run(until_idle=True)

    link = world.link_in_last_sms("33612345678")
    assert world.texts[-1]["pushtype"] == "alert"
    world.pay(link, "598,94")

    (invoice,) = world.invoices()
    assert invoice.status.value == "paid"
    names = [name for name, _ in world.fake.received]
    assert names == ["OrderPaymentState", "OrderMarkAsPaid", "TagsAdd", "MetafieldsSet"]
    assert world.fake.received[1][1] == {"input": {"id": ORDER_GID}}


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_an_abandoned_checkout_is_texted_paid_and_becomes_a_paid_order(world, clock):
    world.fake.draft_tax = Decimal("21.49")
    started = clock()
    checkout = abandoned_checkout(
        created_at=started.isoformat(),
        buyer_accepts_sms_marketing=True,
        sms_marketing_phone="+33612345678",
    )
    world.deliver("checkouts/create", {**checkout, "updated_at": started.isoformat()})
    later = (started + timedelta(minutes=20)).isoformat()
    # The customer changed it 20 minutes later; that update arrives twice, and an old one late.
    for _ in range(2):
        world.deliver("checkouts/update", {**checkout, "updated_at": later}, event_id="e-upd")
    world.deliver("checkouts/update", {**checkout, "updated_at": started.isoformat()})
    world.worker.run(until_idle=True)
    clock.advance(minutes=60)  # an hour after the first change: still waiting
    world.worker.run(until_idle=True)
    assert world.texts == [] and world.invoices() == []
    clock.advance(minutes=21)  # an hour after the last change, on a Monday morning
    world.worker.run(until_idle=True)

    link = world.link_in_last_sms("33612345678")
    assert world.texts[-1]["pushtype"] == "marketing"  # a basket reminder is marketing
    world.pay(link, "379.69")

    (invoice,) = world.invoices()
    assert (invoice.status.value, invoice.source_kind) == ("paid", "cart")
    names = [name for name, _ in world.fake.received]
    assert names == ["DraftOrdersTagged", "DraftOrderCreate", "DraftOrderComplete"]
    sent = world.fake.received[1][1]["input"]
    assert [line["variantId"] for line in sent["lineItems"]] == [
        "gid://shopify/ProductVariant/49148385",
        "gid://shopify/ProductVariant/808950810",
    ]
    (draft,) = world.fake.drafts.values()
    assert draft["order"]["id"].startswith("gid://shopify/Order/")

    # The order Shopify then announces (made by the draft, no checkout token) changes nothing.
    world.deliver("orders/create", unpaid_order(checkout_token=None, financial_status="paid"))
    world.worker.run(until_idle=True)
    assert [i.status.value for i in world.invoices()] == ["paid"]
