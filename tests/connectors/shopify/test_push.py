"""An invoice paid through our link tells the Shopify order: a fake Admin API that validates
every document it receives against the 2025-01 schema, and answers as Shopify does."""

import pytest
from sqlalchemy import select

from core.events import PaymentReceived
from core.money import Money
from core.services import accounts, invoice_creation, payments
from core.services.accounts import connect_store
from core.services.invoice_queries import invoice_timeline
from core.storage.models import Job, JobStatus
from tests.support.fake_shopify import GRAPHQL, ORDER_GID, FakeShop
from tests.support.providers import json_answer
from tests.support.shopify_reference import admin_schema, unpaid_order


@pytest.fixture(scope="module")
def schema():
    return admin_schema()


@pytest.fixture
def store_invoice(ctx, shop):
    from connectors.shopify.mapping import order_invoice

    store = connect_store(
        ctx, shop.id, "shopify", "lune.myshopify.com", {"access_token": "shpat_x"}
    )
    request = order_invoice(unpaid_order(), store.id, ["Paylink"])
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, request)
    return invoice


def pay(ctx, invoice, amount=59894, reference="pay_1"):
    payments.record_payment(
        ctx, PaymentReceived("sandbox", reference, invoice.id, Money(amount, "USD"), ctx.clock())
    )


def test_a_paid_invoice_marks_its_order_paid_tags_and_notes_it(
    ctx, store_invoice, schema, httpserver, run_jobs
):
    fake = FakeShop(schema)
    httpserver.expect_request(GRAPHQL, method="POST").respond_with_handler(fake)
    pay(ctx, store_invoice)
    run_jobs()
    operations = [name for name, _ in fake.received]
    assert operations == ["OrderPaymentState", "OrderMarkAsPaid", "TagsAdd", "MetafieldsSet"]
    assert fake.received[1][1] == {"input": {"id": ORDER_GID}}
    assert fake.received[2][1]["tags"] == ["paylink", "paylink-paid"]
    notes = {m["key"]: m["value"] for m in fake.received[3][1]["metafields"]}
    assert notes["invoice_number"] == store_invoice.number
    assert notes["payment_link"].endswith(f"/i/{store_invoice.link_code}")
    events = invoice_timeline(ctx, store_invoice.merchant_id, store_invoice.id)
    assert events[-1].kind == "store_updated"
    assert events[-1].data["outcome"] == "marked paid; tagged; noted"


def test_a_partial_payment_is_noted_not_marked_paid(
    ctx, store_invoice, schema, httpserver, run_jobs
):
    fake = FakeShop(schema)
    httpserver.expect_request(GRAPHQL, method="POST").respond_with_handler(fake)
    pay(ctx, store_invoice, amount=20000)
    run_jobs()
    assert [name for name, _ in fake.received] == ["TagsAdd", "MetafieldsSet"]
    assert fake.received[0][1]["tags"] == ["paylink", "paylink-partly-paid"]


def test_user_errors_reach_the_timeline_word_for_word(
    ctx, store_invoice, schema, httpserver, run_jobs
):
    fake = FakeShop(
        schema, errors=[{"field": ["id"], "message": "Order cannot be marked as paid."}]
    )
    httpserver.expect_request(GRAPHQL, method="POST").respond_with_handler(fake)
    pay(ctx, store_invoice)
    run_jobs()
    outcome = invoice_timeline(ctx, store_invoice.merchant_id, store_invoice.id)[-1].data["outcome"]
    assert outcome.startswith("marked paid refused: Order cannot be marked as paid.")


def test_a_throttled_push_is_retried(ctx, store_invoice, schema, httpserver, run_jobs, clock):
    httpserver.expect_oneshot_request(GRAPHQL).respond_with_response(
        json_answer(
            {
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": 10,
                        "actualQueryCost": None,
                        "throttleStatus": {
                            "maximumAvailable": 2000,
                            "currentlyAvailable": 0,
                            "restoreRate": 100,
                        },
                    }
                },
            }
        )
    )
    pay(ctx, store_invoice)
    run_jobs()
    with ctx.db.transaction() as session:
        job = session.scalars(select(Job).where(Job.kind == "stores.push_payment")).one()
    assert job.status == JobStatus.PENDING and "throttled" in job.last_error
    fake = FakeShop(schema)
    httpserver.expect_request(GRAPHQL, method="POST").respond_with_handler(fake)
    clock.now = job.run_at
    run_jobs()
    assert fake.received[0][0] == "OrderPaymentState"


def test_a_token_shopify_refuses_disconnects_the_store_instead_of_retrying(
    ctx, store_invoice, httpserver, run_jobs
):
    """401: the offline token is gone (app removed without a word reaching us)."""
    httpserver.expect_request(GRAPHQL, method="POST").respond_with_json(
        {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
        status=401,
    )
    pay(ctx, store_invoice)
    run_jobs()
    with ctx.db.transaction() as session:
        (job,) = session.scalars(select(Job).where(Job.kind == "stores.push_payment")).all()
        assert job.status == JobStatus.DONE and job.attempts == 1
    (store,) = accounts.merchant_stores(ctx, store_invoice.merchant_id)
    assert not store.active and store.credentials_ciphertext is None
    events = invoice_timeline(ctx, store_invoice.merchant_id, store_invoice.id)
    assert events[-1].data["outcome"].startswith("store disconnected: Shopify refused")
