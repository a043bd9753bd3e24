"""Abandoned checkouts, through the real webhook endpoint and the job worker on a moving clock:
a checkout left unchanged for the merchant's delay becomes an invoice whose message speaks of
the basket; a later change restarts the wait, a stale delivery does not; an order with the same
checkout token cancels it (even one delivered first); paid through our link, it becomes a paid
Shopify order through draftOrderCreate + draftOrderComplete, exactly once."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from connectors.shopify.checkouts import checkout_invoice, checkout_seen, draft_order_input
from core.errors import ValidationError
from core.events import PaymentReceived, SourceKind
from core.money import Money
from core.services import carts, payments, store_events
from core.services.accounts import connect_store
from core.services.invoice_queries import invoice_timeline
from core.storage.models import (
    CartStatus,
    Invoice,
    Job,
    JobStatus,
    Message,
    StoreCart,
    StoreEvent,
)
from tests.connectors.shopify.conftest import CLIENT_SECRET
from tests.support.fake_shopify import GRAPHQL, FakeShop, webhook_headers
from tests.support.shopify_reference import abandoned_checkout, admin_schema, unpaid_order
from tests.support.store_tests import pushed_outcome

TOKEN = "2a1ace52255252df566af0faaedfbfa7"


@pytest.fixture(scope="module")
def schema():
    return admin_schema()


@pytest.fixture
def store(ctx, shop):
    return connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"access_token": "shpat_x"})


class Shopify:
    """Sends signed deliveries, each with a fresh event id, as Shopify does."""

    def __init__(self, client, clock):
        self.client, self.clock, self.sent = client, clock, 0

    def send(self, topic, payload):
        self.sent += 1
        body = json.dumps(payload).encode()
        response = self.client.post(
            "/connectors/shopify/webhooks",
            data=body,
            headers=webhook_headers(body, CLIENT_SECRET, topic, f"evt-{self.sent}"),
        )
        assert response.status_code == 200
        return response

    def checkout(self, topic="checkouts/create", minutes_ago=0, **changes):
        changed = (self.clock() - timedelta(minutes=minutes_ago)).isoformat()
        return self.send(topic, abandoned_checkout(updated_at=changed, **changes))


@pytest.fixture
def shopify(client, clock, store):
    return Shopify(client, clock)


def rows(ctx, model):
    with ctx.db.transaction() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def the_cart(ctx):
    (cart,) = rows(ctx, StoreCart)
    return cart


# Mapping (pure) ------------------------------------------------------------------------------


def test_the_reference_checkout_maps_to_an_exact_invoice():
    request = checkout_invoice(json.dumps(abandoned_checkout()), store_id=7)
    assert (request.source_kind, request.external_id, request.store_id) == (
        SourceKind.CART,
        TOKEN,
        7,
    )
    totals = request.content.totals()
    assert (totals.subtotal.minor, totals.discount.minor, totals.tax.minor) == (39800, 3980, 2149)
    assert totals.total == Money(37969, "USD")  # Shopify's total_price, 379.69
    # The basket's tax is spread over its lines by amount, to the cent.
    assert [line.tax.minor for line in request.content.lines] == [1075, 1074]
    assert (request.customer.email, request.customer.phone) == ("bob.norman@mail.example.com", None)


def test_sms_only_to_buyers_who_accepted_sms_marketing():
    consented = abandoned_checkout(
        buyer_accepts_sms_marketing=True, sms_marketing_phone="+33612345678"
    )
    assert checkout_invoice(json.dumps(consented), 1).customer.phone == "+33612345678"
    refused = abandoned_checkout(phone="+33612345678")
    assert checkout_invoice(json.dumps(refused), 1).customer.phone is None


def test_nobody_to_write_to_means_no_invoice_and_bad_totals_are_refused():
    nobody = abandoned_checkout(email=None, customer={"id": 1})
    assert checkout_invoice(json.dumps(nobody), 1) is None
    with pytest.raises(ValidationError, match=r"lines add up to 379\.69 USD, Shopify says 1\.00"):
        checkout_invoice(json.dumps(abandoned_checkout(total_price="1.00")), 1)


def test_a_delivery_needs_its_own_change_time():
    seen = checkout_seen(json.dumps(abandoned_checkout(completed_at="2026-03-02T10:00:00+01:00")))
    assert (seen.token, seen.completed, seen.changed_at.utcoffset()) == (
        TOKEN,
        True,
        timedelta(hours=-4),
    )
    with pytest.raises(ValueError, match="no offset"):
        checkout_seen(json.dumps(abandoned_checkout(updated_at="2026-03-02T10:00:00")))


def test_the_draft_order_input_is_what_the_customer_saw(schema):
    draft = draft_order_input(json.dumps(abandoned_checkout()), "F-2026-000001", "https://x/i/a")
    assert draft["lineItems"][0] == {
        "variantId": "gid://shopify/ProductVariant/49148385",
        "quantity": 1,
        "priceOverride": {"amount": "199.00", "currencyCode": "USD"},
    }
    assert draft["appliedDiscount"]["amountWithCurrency"] == {
        "amount": "39.80",
        "currencyCode": "USD",
    }
    # "+1(502)-459-2181" as typed would make Shopify refuse the whole draft: E.164 goes.
    assert draft["billingAddress"]["phone"] == "+15024592181"
    assert draft["purchasingEntity"] == {"customerId": "gid://shopify/Customer/207119551"}
    assert "paylink-F-2026-000001" in draft["tags"]


# The wait ------------------------------------------------------------------------------------


def test_a_checkout_left_for_the_delay_becomes_an_invoice_about_the_basket(
    ctx, shopify, run_jobs, clock
):
    shopify.checkout()
    run_jobs()
    assert the_cart(ctx).status == CartStatus.OPEN and rows(ctx, Invoice) == []
    clock.advance(minutes=59)
    run_jobs()
    assert rows(ctx, Invoice) == []
    clock.advance(minutes=1)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert (invoice.source_kind, invoice.external_id, invoice.total) == ("cart", TOKEN, 37969)
    assert invoice.expires_at == clock() + carts.CART_OFFER
    (message,) = rows(ctx, Message)
    assert (message.kind, message.channel, message.marketing) == ("abandoned_cart", "email", True)
    assert f"/i/{invoice.link_code}" in message.body and "basket" in message.body
    assert the_cart(ctx).status == CartStatus.INVOICED and the_cart(ctx).invoice_id == invoice.id


def test_a_change_restarts_the_wait_and_a_stale_delivery_does_not(ctx, shopify, run_jobs, clock):
    shopify.checkout()
    clock.advance(minutes=30)
    shopify.checkout(topic="checkouts/update")  # the customer came back and changed it
    shopify.checkout(topic="checkouts/update", minutes_ago=40)  # an old retry, delivered late
    run_jobs()
    clock.advance(minutes=31)  # an hour after the first change
    run_jobs()
    assert rows(ctx, Invoice) == []
    outcomes = [event.outcome for event in rows(ctx, StoreEvent)]
    assert outcomes[-1] == "stale: a newer state of this cart is held"
    clock.advance(minutes=30)  # an hour after the last change
    run_jobs()
    assert len(rows(ctx, Invoice)) == 1


def test_the_merchant_s_delay_is_used(ctx, shop, shopify, run_jobs, clock):
    carts.set_cart_delay(ctx, shop.id, 15)
    shopify.checkout()
    clock.advance(minutes=15)
    run_jobs()
    assert len(rows(ctx, Invoice)) == 1
    with pytest.raises(ValidationError, match="15 minutes to 7 days"):
        carts.set_cart_delay(ctx, shop.id, 5)


def test_a_checkout_delivered_late_is_abandoned_at_once(ctx, shopify, run_jobs):
    shopify.checkout(minutes_ago=120)
    run_jobs()
    assert len(rows(ctx, Invoice)) == 1


def test_completed_or_unreachable_checkouts_get_no_invoice(ctx, shopify, run_jobs, clock):
    shopify.checkout(completed_at=clock().isoformat())
    shopify.checkout(token="no-contact", email=None, customer={"id": 5})
    clock.advance(hours=2)
    run_jobs()
    assert rows(ctx, Invoice) == []
    statuses = {cart.token: cart.status for cart in rows(ctx, StoreCart)}
    assert statuses == {TOKEN: CartStatus.ORDERED, "no-contact": CartStatus.UNREACHABLE}
    assert all(cart.body_ciphertext is None for cart in rows(ctx, StoreCart))


# Orders --------------------------------------------------------------------------------------


def test_an_order_for_the_checkout_cancels_its_invoice(ctx, shopify, run_jobs, clock):
    shopify.checkout()
    clock.advance(hours=1)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    paid_in_shop = unpaid_order(checkout_token=TOKEN, financial_status="paid")
    shopify.send("orders/create", paid_in_shop)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert invoice.status.value == "void" and invoice.next_reminder_at is None
    cart = the_cart(ctx)
    assert (cart.status, cart.order_ref) == (CartStatus.ORDERED, "gid://shopify/Order/450789469")
    reason = invoice_timeline(ctx, invoice.merchant_id, invoice.id)[-1].data["reason"]
    assert reason == "the customer ordered in the store"


def test_an_order_delivered_before_its_checkout_wins(ctx, shopify, run_jobs, clock):
    shopify.send("orders/create", unpaid_order(checkout_token=TOKEN, financial_status="paid"))
    run_jobs()
    shopify.checkout(topic="checkouts/update", minutes_ago=5)
    clock.advance(hours=2)
    run_jobs()
    assert rows(ctx, Invoice) == [] and the_cart(ctx).status == CartStatus.ORDERED


def test_erasing_a_customer_erases_their_invoiced_cart(ctx, shopify, run_jobs, clock):
    shopify.checkout()
    clock.advance(hours=1)
    run_jobs()
    assert the_cart(ctx).body_ciphertext is not None  # kept to make the order if they pay
    redact = {
        "shop_domain": "lune.myshopify.com",
        "customer": {"email": "bob.norman@mail.example.com"},
    }
    shopify.send("customers/redact", {**redact, "orders_to_redact": []})
    run_jobs()
    assert the_cart(ctx).body_ciphertext is None


# Paid through our link -----------------------------------------------------------------------


@pytest.fixture
def cart_invoice(ctx, shopify, run_jobs, clock):
    shopify.checkout()
    clock.advance(hours=1)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    return invoice


def pay(ctx, invoice, amount=37969):
    payments.record_payment(
        ctx, PaymentReceived("sandbox", "pay_1", invoice.id, Money(amount, "USD"), ctx.clock())
    )


def test_a_paid_cart_becomes_a_paid_order_in_the_shop(
    app, ctx, cart_invoice, schema, httpserver, run_jobs
):
    fake = FakeShop(schema, draft_tax="21.49")
    httpserver.expect_request(GRAPHQL, method="POST").respond_with_handler(fake)
    pay(ctx, cart_invoice)
    run_jobs()
    names = [name for name, _ in fake.received]
    assert names == ["DraftOrdersTagged", "DraftOrderCreate", "DraftOrderComplete"]
    sent = fake.received[1][1]["input"]
    assert sent["note"].endswith(f"/i/{cart_invoice.link_code}")
    assert fake.received[2][1] == {"id": "gid://shopify/DraftOrder/1001"}
    cart = the_cart(ctx)
    assert cart.status == CartStatus.RECOVERED and cart.body_ciphertext is None
    assert cart.order_ref.startswith("gid://shopify/Order/")
    assert pushed_outcome(ctx, cart_invoice) == "order #1001 made from draft #D1, paid"
    # A second push (a retried job, a late refund event...) makes nothing new.
    store_events.push_payment(ctx, app.extensions["paylink.connectors"], cart_invoice.id)
    assert len(fake.received) == 3
    assert pushed_outcome(ctx, cart_invoice) == f"order {cart.order_ref} already made"


def test_a_draft_left_by_a_crash_is_found_by_its_tag(
    ctx, cart_invoice, schema, httpserver, run_jobs
):
    fake = FakeShop(schema, draft_tax="21.49")
    fake._create(
        draft_order_input(json.dumps(abandoned_checkout()), cart_invoice.number, "https://x")
    )
    httpserver.expect_request(GRAPHQL, method="POST").respond_with_handler(fake)
    pay(ctx, cart_invoice)
    run_jobs()
    assert [name for name, _ in fake.received] == ["DraftOrdersTagged", "DraftOrderComplete"]
    assert len(fake.drafts) == 1


def test_a_draft_still_calculating_is_retried(
    ctx, cart_invoice, schema, httpserver, run_jobs, clock
):
    fake = FakeShop(schema, draft_tax="21.49", draft_ready=False)
    httpserver.expect_request(GRAPHQL, method="POST").respond_with_handler(fake)
    pay(ctx, cart_invoice)
    run_jobs()
    with ctx.db.transaction() as session:
        job = session.scalars(select(Job).where(Job.kind == "stores.push_payment")).one()
    assert job.status == JobStatus.PENDING and "still being calculated" in job.last_error
    assert the_cart(ctx).created_ref == "gid://shopify/DraftOrder/1001"
    fake.draft_ready = True
    clock.now = job.run_at
    run_jobs()
    assert [name for name, _ in fake.received][-2:] == ["DraftOrderState", "DraftOrderComplete"]
    assert len(fake.drafts) == 1 and the_cart(ctx).status == CartStatus.RECOVERED


def test_a_draft_whose_total_differs_is_left_for_the_merchant(
    ctx, cart_invoice, schema, httpserver, run_jobs
):
    fake = FakeShop(schema, draft_tax="25.00")  # the shop's taxes changed meanwhile
    httpserver.expect_request(GRAPHQL, method="POST").respond_with_handler(fake)
    pay(ctx, cart_invoice)
    run_jobs()
    assert "DraftOrderComplete" not in [name for name, _ in fake.received]
    assert pushed_outcome(ctx, cart_invoice) == (
        "draft order #D1 totals 383.20 USD but the customer paid 379.69 USD: "
        "left as a draft for you to check"
    )


def test_paid_twice_is_told_not_ordered_twice(
    ctx, cart_invoice, store, schema, httpserver, run_jobs
):
    """The customer paid our link, then (before the push ran) also paid in the shop."""
    fake = FakeShop(schema)
    httpserver.expect_request(GRAPHQL, method="POST").respond_with_handler(fake)
    pay(ctx, cart_invoice)
    said = carts.cart_ordered(ctx, store, TOKEN, "gid://shopify/Order/450789469")
    assert said.endswith("has payments: refund one")
    run_jobs()
    assert fake.received == []
    timeline = invoice_timeline(ctx, cart_invoice.merchant_id, cart_invoice.id)
    assert "cart_ordered_in_store" in [event.kind for event in timeline]
    assert pushed_outcome(ctx, cart_invoice) == (
        "the customer also ordered in the store: no second order made, refund one payment"
    )
