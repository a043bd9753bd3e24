"""An early payer's thank-you code, made in the shop through the Admin API (the fake validates
every document and its variables against the 2025-01 schema): once per invoice whatever the
retries, in the receipt, never for a late payer, and said plainly when the shop refuses."""

import html
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectors.shopify.connector import ShopifyConnector
from connectors.shopify.mapping import order_invoice
from core.early_payer_reward import RewardKind, RewardOffer
from core.events import PaymentReceived
from core.money import Money
from core.services import invoice_creation, payments, rewards
from core.services.accounts import connect_store
from core.services.invoice_queries import invoice_timeline
from core.services.store_secrets import store_ref
from core.storage.models import Message, Store
from tests.support.fake_shopify import GRAPHQL, FakeShop
from tests.support.shopify_reference import admin_schema, unpaid_order

GRANTED = "read_orders,write_orders,write_draft_orders,read_checkouts,write_discounts"


@pytest.fixture(scope="module")
def schema():
    return admin_schema()


@pytest.fixture
def fake(schema, httpserver):
    shop = FakeShop(schema)
    httpserver.expect_request(GRAPHQL, method="POST").respond_with_handler(shop)
    return shop


def store_invoice(ctx, shop, scope=GRANTED):
    store = connect_store(
        ctx, shop.id, "shopify", "lune.myshopify.com", {"access_token": "shpat_x", "scope": scope}
    )
    invoice, _ = invoice_creation.create_invoice(
        ctx, shop.id, order_invoice(unpaid_order(), store.id, ["Paylink"])
    )
    return invoice


def pay(ctx, invoice):
    payments.record_payment(
        ctx, PaymentReceived("sandbox", "pay_1", invoice.id, Money(59894, "USD"), ctx.clock())
    )


def receipts(ctx, invoice):
    with ctx.db.transaction() as session:
        query = select(Message).where(Message.invoice_id == invoice.id, Message.kind == "receipt")
        return [m.body for m in session.scalars(query)]


def test_an_early_payer_gets_a_single_use_code_made_in_the_shop_and_in_the_receipt(
    ctx, shop, fake, clock, run_jobs, client
):
    rewards.set_offer(ctx, shop.id, RewardOffer(48, RewardKind.PERCENT, 10, valid_days=30))
    invoice = store_invoice(ctx, shop)
    clock.advance(hours=30)  # 10:30 in New York, the customer's: the receipt goes at once
    pay(ctx, invoice)
    run_jobs()
    [(code, (_, made))] = fake.discounts.items()
    assert made["code"] == code and made["usageLimit"] == 1 and made["appliesOncePerCustomer"]
    assert made["customerGets"] == {"value": {"percentage": 0.1}, "items": {"all": True}}
    assert made["endsAt"] == (clock() + timedelta(days=30)).isoformat()
    assert made["title"] == f"Paylink: early payment of {invoice.number}"
    [receipt] = receipts(ctx, invoice)
    assert f"le code {code}, -10 % sur votre prochaine commande jusqu'au 2 avril 2026" in receipt
    kinds = [e.kind for e in invoice_timeline(ctx, shop.id, invoice.id)]
    assert "reward_code_created" in kinds
    page = html.unescape(client.get(f"/i/{invoice.link_code}/receipt").get_data(as_text=True))
    assert "Merci d'avoir payé si vite" in page and f'<p class="code">{code}</p>' in page
    assert "coûte 10\u00a0% de moins, jusqu'au 2 avril 2026" in page


def test_a_retry_finds_the_code_the_shop_made_instead_of_making_a_second(
    ctx, shop, fake, clock, app
):
    rewards.set_offer(ctx, shop.id, RewardOffer(24, RewardKind.AMOUNT, 500))
    invoice = store_invoice(ctx, shop)
    pay(ctx, invoice)
    with ctx.db.transaction() as session:
        reward = rewards.reward_of(session, invoice.id)
        store = store_ref(ctx, session.get(Store, invoice.store_id))
    connector = app.extensions["paylink.connectors"]["shopify"]
    assert isinstance(connector, ShopifyConnector)
    first = connector.create_discount_code(store, reward.code, "t")  # the worker crashed here
    again = connector.create_discount_code(store, reward.code, "t")
    assert first == again and len(fake.discounts) == 1
    value = fake.discounts[reward.code.code][1]["customerGets"]["value"]
    assert value == {"discountAmount": {"amount": "5.00", "appliesOnEachItem": False}}
    assert [name for name, _ in fake.received].count("DiscountCodeCreate") == 1


def test_a_late_payer_gets_no_code(ctx, shop, fake, clock, run_jobs):
    rewards.set_offer(ctx, shop.id, RewardOffer(24, RewardKind.PERCENT, 10))
    invoice = store_invoice(ctx, shop)
    clock.advance(hours=30)
    pay(ctx, invoice)
    run_jobs()
    assert fake.discounts == {}
    with ctx.db.transaction() as session:
        assert rewards.reward_of(session, invoice.id) is None
    [receipt] = receipts(ctx, invoice)
    assert "code" not in receipt.lower()


def test_a_shop_that_did_not_grant_discounts_is_said_so_and_the_receipt_goes_anyway(
    ctx, shop, fake, clock, run_jobs
):
    rewards.set_offer(ctx, shop.id, RewardOffer(48, RewardKind.PERCENT, 10))
    invoice = store_invoice(ctx, shop, scope="read_orders,write_orders")
    clock.advance(hours=30)
    pay(ctx, invoice)
    run_jobs()
    assert fake.discounts == {}
    [failed] = [
        e for e in invoice_timeline(ctx, shop.id, invoice.id) if e.kind == "reward_code_failed"
    ]
    assert "open the app again" in failed.data["reason"]
    [receipt] = receipts(ctx, invoice)
    assert failed.data["code"] not in receipt
