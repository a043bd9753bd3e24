"""Shopify webhooks through the real endpoint: HMAC on the raw body, one event per
X-Shopify-Event-Id, unknown shops ignored, orders/create becoming an invoice and its SMS,
unusable bodies kept as failed events, and app/uninstalled disconnecting the store."""

import json

import pytest
from sqlalchemy import select

from core.services.accounts import connect_store
from core.storage.models import Invoice, Job, JobStatus, Message, Store, StoreEvent
from tests.connectors.shopify.conftest import CLIENT_SECRET
from tests.support.console import csrf_token, sign_in
from tests.support.fake_shopify import webhook_headers
from tests.support.shopify_reference import unpaid_order
from tests.support.sql_counts import counted_statements


@pytest.fixture
def store(ctx, shop):
    return connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"access_token": "shpat_x"})


@pytest.fixture
def order_body():
    return json.dumps(unpaid_order()).encode()


def deliver(client, body: bytes, topic="orders/create", event_id="evt-1", **options):
    return client.post(
        "/connectors/shopify/webhooks",
        data=body,
        headers=webhook_headers(
            body, options.pop("secret", CLIENT_SECRET), topic, event_id, **options
        ),
    )


def rows(ctx, model):
    with ctx.db.transaction() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_an_unpaid_order_becomes_an_invoice_and_its_sms(
    client, ctx, store, order_body, run_jobs, clock
):
    first = deliver(client, order_body)
    again = deliver(client, order_body)  # Shopify retried: same event id
    assert (first.status_code, first.json["duplicate"], again.json["duplicate"]) == (
        200,
        False,
        True,
    )
    assert rows(ctx, Invoice) == []  # nothing decided inside the request
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert (invoice.external_id, invoice.store_id, invoice.total, invoice.currency) == (
        "450789469",
        store.id,
        59894,
        "USD",
    )
    (event,) = rows(ctx, StoreEvent)
    assert event.outcome == f"cart finished in the store; invoice {invoice.number}"
    assert event.triggered_at is not None
    # The customer's number is Brazilian: 06:30 there, so the SMS waits for 08:00 local time.
    (step,) = [j for j in rows(ctx, Job) if j.kind == "messages.send_step"]
    assert step.status == JobStatus.PENDING and step.run_at.hour == 11  # 08:00 in Bahia, UTC-3
    clock.now = step.run_at
    run_jobs()
    (message,) = rows(ctx, Message)
    assert message.channel == "sms" and invoice.link_code in message.body
    # A second delivery of the same order under another event id changes nothing.
    deliver(client, order_body, event_id="evt-2")
    run_jobs()
    assert len(rows(ctx, Invoice)) == 1


def test_bad_signatures_are_401_and_store_nothing(client, ctx, store, order_body):
    assert (
        deliver(client, order_body, secret="shpss_wrong_secret_of_thirty_two_b").status_code == 401
    )
    tampered = order_body.replace(b"598.94", b"1.00")
    response = client.post(
        "/connectors/shopify/webhooks",
        data=tampered,
        headers=webhook_headers(order_body, CLIENT_SECRET),  # signed before the change
    )
    assert response.status_code == 401
    assert rows(ctx, StoreEvent) == []


def test_unknown_shops_and_bodies_without_event_ids_are_ignored(client, ctx, store, order_body):
    unknown = deliver(client, order_body, shop="other.myshopify.com")
    assert unknown.status_code == 200 and "unknown" in unknown.json["ignored"]
    assert deliver(client, order_body, shop="evil.example").json["ignored"] == "no shop"
    assert rows(ctx, StoreEvent) == []


def test_a_signed_but_unusable_order_is_kept_as_a_failed_event(client, ctx, store, run_jobs):
    response = deliver(
        client, b'{"id": 1, "financial_status": "pending", "payment_gateway_names": ["Paylink"]}'
    )
    assert response.status_code == 200  # never 4xx for a good signature: Shopify would retry
    run_jobs()
    (job,) = [j for j in rows(ctx, Job) if j.kind == "stores.process_event"]
    assert job.status == JobStatus.DEAD and "orders/create not usable" in job.last_error
    assert rows(ctx, Invoice) == []


def test_uninstalling_disconnects_the_store(client, ctx, store, order_body, run_jobs):
    deliver(
        client,
        b'{"id": 690933842, "name": "Boutique Lune"}',
        topic="app/uninstalled",
        event_id="evt-u",
    )
    run_jobs()
    (stored,) = rows(ctx, Store)
    assert stored.active is False and stored.credentials_ciphertext is None
    later = deliver(client, order_body, event_id="evt-3")
    assert later.json["ignored"] == "unknown or uninstalled shop"


def test_a_late_retry_of_an_uninstall_does_not_undo_a_reinstall(client, ctx, store, run_jobs):
    """Uninstalled at 09:10, reinstalled at 09:30 (the store fixture), and Shopify's retry of
    the 09:10 delivery only arrives now: X-Shopify-Triggered-At shows it is stale."""
    deliver(
        client,
        b'{"id": 690933842, "name": "Boutique Lune"}',
        topic="app/uninstalled",
        event_id="evt-old-uninstall",
        triggered_at="2026-03-02T09:10:00.000Z",
    )
    run_jobs()
    (stored,) = rows(ctx, Store)
    assert stored.active is True
    (event,) = rows(ctx, StoreEvent)
    assert event.outcome == "stale: the app was installed again after this uninstall"


def test_uninstalling_cancels_the_store_s_waiting_events(client, ctx, store, order_body, run_jobs):
    from core.services.accounts import disconnect_store

    deliver(client, order_body)  # stored, its job not run yet
    disconnect_store(ctx, store.id)
    run_jobs()
    (job,) = [j for j in rows(ctx, Job) if j.kind == "stores.process_event"]
    assert job.status == JobStatus.DONE and "cancelled" in job.last_error
    assert rows(ctx, Invoice) == []


def test_customers_redact_erases_the_customer_and_keeps_the_books(
    client, ctx, store, order_body, run_jobs
):
    deliver(client, order_body)
    run_jobs()
    redact = {
        "shop_id": 954889,
        "shop_domain": "lune.myshopify.com",
        "customer": {
            "id": 207119551,
            "email": "bob.norman@mail.example.com",
            "phone": "+557734881234",
        },
        "orders_to_redact": [450789469],
    }
    deliver(client, json.dumps(redact).encode(), topic="customers/redact", event_id="evt-r")
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert invoice.customer_name == "[effacé]" and invoice.customer_email_ciphertext is None
    assert invoice.customer_phone_index is None and invoice.total == 59894  # amounts stay
    assert all(m.body == "[effacé]" for m in rows(ctx, Message))
    assert rows(ctx, StoreEvent)[-1].outcome == "erased 1 invoices"


def test_privacy_requests_are_honoured_after_uninstall(client, ctx, store, order_body, run_jobs):
    deliver(client, order_body)
    deliver(client, b'{"id": 690933842}', topic="app/uninstalled", event_id="evt-u")
    run_jobs()
    request = {
        "shop_id": 954889,
        "shop_domain": "lune.myshopify.com",
        "orders_requested": [450789469],
        "customer": {"id": 207119551, "email": "bob.norman@mail.example.com"},
        "data_request": {"id": 9999},
    }
    asked = deliver(
        client, json.dumps(request).encode(), topic="customers/data_request", event_id="evt-d"
    )
    assert asked.json == {"received": True, "duplicate": False}
    later_order = deliver(client, order_body, event_id="evt-o")
    assert "ignored" in later_order.json  # ordinary topics stop at uninstall
    shop_redact = {"shop_id": 954889, "shop_domain": "lune.myshopify.com"}
    deliver(client, json.dumps(shop_redact).encode(), topic="shop/redact", event_id="evt-s")
    run_jobs()
    outcomes = [e.outcome for e in rows(ctx, StoreEvent)]
    assert outcomes[-2:] == [
        "data request: 1 invoices (marked on their timelines)",
        "erased 1 invoices",
    ]
    (invoice,) = rows(ctx, Invoice)
    assert invoice.customer_name == "[effacé]"
    assert {event.body for event in rows(ctx, StoreEvent)} == {"[effacé]"}  # webhooks too


def test_the_console_shows_each_store_s_webhook_health(client, ctx, shop, store, run_jobs):
    deliver(
        client, b'{"id": 1, "financial_status": "pending", "payment_gateway_names": ["Paylink"]}'
    )
    run_jobs()  # unusable: its job goes dead
    sign_in(client, ctx, shop.id)
    stores = client.get("/console/stores").get_data(as_text=True)
    assert "lune.myshopify.com" in stores and '<strong class="error">1</strong>' in stores
    assert "Connecter une boutique Shopify" in stores  # the connector's own connect form
    assert 'action="/connectors/shopify/install"' in stores and 'name="shop"' in stores


def test_the_merchant_chooses_which_gateways_get_an_invoice(
    client, ctx, shop, store, order_body, run_jobs
):
    sign_in(client, ctx, shop.id)
    stores = client.get("/console/stores").get_data(as_text=True)
    token = csrf_token(stores)
    empty = client.post(
        f"/console/stores/{store.id}/gateways", data={"csrf_token": token, "gateways": " \n "}
    )
    assert empty.status_code == 422
    saved = client.post(
        f"/console/stores/{store.id}/gateways",
        data={"csrf_token": token, "gateways": "Bank Deposit\nPaylink"},
    )
    assert saved.status_code == 303
    assert "Bank Deposit" in client.get("/console/stores").get_data(as_text=True)
    order = json.loads(order_body)
    order["payment_gateway_names"] = ["bank deposit"]
    deliver(client, json.dumps(order).encode())
    run_jobs()
    assert len(rows(ctx, Invoice)) == 1


def test_a_delivery_costs_one_read_and_one_write(client, ctx, store, order_body, database_url):
    """The store looked up by one statement outside any transaction, then the event and its
    job written: on SQLite in one transaction, shared with concurrent deliveries (group
    commit); on PostgreSQL in one statement, its own transaction (autocommit). On PostgreSQL
    the store's row is kept from then on (`KeptStores`): the next delivery only writes."""
    postgres = database_url.startswith("postgresql")
    writes = ["WITH"] if postgres else ["INSERT", "INSERT"]
    with counted_statements(ctx.db.engine) as delivery:
        assert deliver(client, order_body).status_code == 200
    assert delivery.transactions == (0 if postgres else 1), delivery.statements
    assert [s.split()[0].upper() for s in delivery.statements] == ["SELECT", *writes]
    assert [s.split()[0].upper() for s in delivery.writes] == writes
    with counted_statements(ctx.db.engine) as next_delivery:
        assert deliver(client, order_body, event_id="evt-2").status_code == 200
    reads = [] if postgres else ["SELECT"]
    assert [s.split()[0].upper() for s in next_delivery.statements] == [*reads, *writes]
    assert len(rows(ctx, StoreEvent)) == 2
    assert sorted(job.payload["event_id"] for job in rows(ctx, Job)) == [
        event.id for event in rows(ctx, StoreEvent)
    ]
