"""WooCommerce order events through the real endpoint and the worker, against a fake store
that checks every REST call's OAuth signature: the unsigned ping, signatures, duplicates on
(order id, date_modified_gmt), bad payloads kept as failed events, orders invoiced, lost
checkouts recovered after the delay, orders settled in the store, the poller catching what no
webhook said, and payments pushed back (set_paid or processing, one note)."""

import pytest
from sqlalchemy import select

from connectors.woocommerce.connector import TOPICS
from core.events import PaymentReceived
from core.money import Money
from core.services import payments, store_events
from core.services.invoice_queries import invoice_timeline
from core.services.store_sync import schedule_polls
from core.storage.models import Invoice, Job, JobStatus, Message, Store, StoreEvent
from tests.connectors.woocommerce.conftest import WEBHOOK_SECRET
from tests.support.fake_woocommerce import delivery_headers, woo_order, wp_json_encode


def rows(ctx, model):
    with ctx.db.transaction() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def deliver(client, store, order, topic="order.created", secret=WEBHOOK_SECRET):
    body = wp_json_encode(order)
    return client.post(
        f"/connectors/woocommerce/webhooks/{store.id}",
        data=body,
        headers=delivery_headers(body, secret, topic),
    )


def test_the_ping_is_answered_200_and_stores_nothing(client, ctx, store):
    ping = client.post(
        f"/connectors/woocommerce/webhooks/{store.id}",
        data=b"webhook_id=14",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)",
        },
    )
    assert ping.status_code == 200 and rows(ctx, StoreEvent) == []


def test_signatures_and_unknown_stores(client, ctx, store):
    bad = deliver(client, store, woo_order(), secret="not-the-secret")
    assert bad.status_code == 401 and rows(ctx, StoreEvent) == []
    body = wp_json_encode(woo_order())
    unknown = client.post(
        "/connectors/woocommerce/webhooks/999",
        data=body,
        headers=delivery_headers(body, WEBHOOK_SECRET, "order.created"),
    )
    assert unknown.status_code == 200 and unknown.json["ignored"]


def test_an_order_awaiting_a_transfer_is_invoiced_from_the_store_s_state(
    client, ctx, store, woo, run_jobs
):
    order = woo.add(woo_order())
    body = wp_json_encode(order)
    assert b"order-pay\\/727\\/" in body  # encoded as WordPress does
    assert deliver(client, store, order).status_code == 200
    assert deliver(client, store, order, topic="order.updated").json["duplicate"] is True
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert (invoice.external_id, invoice.source_kind, invoice.total, invoice.currency) == (
        "727",
        "order",
        4090,
        "EUR",
    )
    assert ("GET", "/orders/727", None) in woo.received  # read again, not taken from the body
    (message,) = rows(ctx, Message)
    assert (message.kind, message.channel) == ("invoice", "sms")  # +33 6 12 34 56 78
    # A later state of the same order is a new event.
    changed = woo_order(date_modified_gmt="2026-03-02T09:25:00")
    assert deliver(client, store, changed, topic="order.updated").json["duplicate"] is False


def test_a_signed_but_unusable_delivery_is_kept_as_a_failed_event(client, ctx, store, run_jobs):
    body = b'{"unexpected": true}'
    answer = client.post(
        f"/connectors/woocommerce/webhooks/{store.id}",
        data=body,
        headers=delivery_headers(body, WEBHOOK_SECRET, "order.created"),
    )
    assert answer.status_code == 200  # a failure would only get the webhook disabled
    run_jobs()
    (event,) = rows(ctx, StoreEvent)
    assert event.event_key.startswith("unusable:") and event.processed_at is None
    (job,) = [j for j in rows(ctx, Job) if j.kind == "stores.process_event"]
    assert job.status == JobStatus.DEAD and "not usable" in job.last_error


def test_a_lost_checkout_is_recovered_after_the_delay_then_settled_in_the_store(
    client, ctx, store, woo, run_jobs, clock
):
    card = woo.add(
        woo_order(
            status="pending", payment_method="stripe", date_modified_gmt="2026-03-02T09:30:00"
        )
    )
    deliver(client, store, card)
    run_jobs()
    assert rows(ctx, Invoice) == []
    clock.advance(minutes=61)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert (invoice.source_kind, invoice.external_id) == ("cart", "727")
    assert rows(ctx, Message)[0].kind == "abandoned_cart"
    # The customer came back and paid by card in the store.
    paid = woo.add(woo_order(status="processing", payment_method="stripe",
                             date_modified_gmt="2026-03-02T10:45:00"))  # fmt: skip
    deliver(client, store, paid, topic="order.updated")
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert invoice.status.value == "void"
    reason = invoice_timeline(ctx, invoice.merchant_id, invoice.id)[-1].data["reason"]
    assert reason == "paid in the store (processing)"


def test_a_cancelled_order_cancels_its_invoice(client, ctx, store, woo, run_jobs):
    deliver(client, store, woo.add(woo_order()))
    run_jobs()
    woo.add(woo_order(status="cancelled", date_modified_gmt="2026-03-02T09:50:00"))
    deliver(client, store, woo.orders[727], topic="order.updated")
    run_jobs()
    assert rows(ctx, Invoice)[0].status.value == "void"


def test_a_trashed_order_cancels_its_invoice(client, ctx, store, woo, run_jobs):
    deliver(client, store, woo.add(woo_order()))
    run_jobs()
    del woo.orders[727]  # trashed: the API answers 404 for it
    deleted = client.post(
        f"/connectors/woocommerce/webhooks/{store.id}",
        data=b'{"id":727}',
        headers=delivery_headers(b'{"id":727}', WEBHOOK_SECRET, "order.deleted"),
    )
    assert deleted.status_code == 200
    run_jobs()
    assert rows(ctx, Invoice)[0].status.value == "void"
    assert rows(ctx, StoreEvent)[-1].outcome.startswith("order deleted in the store")


def test_the_poller_catches_a_missed_order_and_re_enables_webhooks(ctx, store, woo, run_jobs, app):
    woo.add(woo_order())  # no webhook ever came for it
    woo.webhooks[14] = {
        "id": 14,
        "topic": "order.created",
        "status": "disabled",  # WooCommerce disabled it after failed deliveries
        "delivery_url": f"https://pay.example/connectors/woocommerce/webhooks/{store.id}",
    }
    assert schedule_polls(ctx, app.extensions["paylink.connectors"], 300) == 1
    assert schedule_polls(ctx, app.extensions["paylink.connectors"], 300) == 1  # same slot
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert invoice.external_id == "727"
    assert woo.webhooks[14]["status"] == "active"
    assert {h["topic"] for h in woo.webhooks.values()} == set(TOPICS)
    listed = [params for method, path, params in woo.received if path == "/orders"]
    assert len(listed) == 1
    (stored,) = rows(ctx, Store)
    assert stored.polled_until == ctx.clock() and stored.webhooks_ready
    polls = [j for j in rows(ctx, Job) if j.kind == "stores.poll"]
    assert len(polls) == 1 and polls[0].status == JobStatus.DONE


# Back to the store ---------------------------------------------------------------------------


@pytest.fixture
def invoiced(client, ctx, store, woo, run_jobs):
    deliver(client, store, woo.add(woo_order()))
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    return invoice


def pay(ctx, invoice, amount=4090, reference="pay_1"):
    payments.record_payment(
        ctx, PaymentReceived("sandbox", reference, invoice.id, Money(amount, "EUR"), ctx.clock())
    )


def sent(woo, method):
    return [(path, body) for m, path, body in woo.received if m == method]


def test_a_paid_invoice_moves_the_order_on_and_notes_it_once(app, ctx, invoiced, woo, run_jobs):
    pay(ctx, invoiced)
    run_jobs()
    assert sent(woo, "PUT") == [
        ("/orders/727", {"status": "processing", "transaction_id": "pay_1"})
    ]  # on-hold: set_paid would be ignored (the order does not "need payment")
    (note,) = woo.notes[727]
    assert note["customer_note"] is False and invoiced.number in note["note"]
    assert woo.orders[727]["status"] == "processing"
    # Pushed again (a retried job): the order is processing already, the note is there.
    store_events.push_payment(ctx, app.extensions["paylink.connectors"], invoiced.id)
    assert len(woo.notes[727]) == 1 and len(sent(woo, "PUT")) == 1
    assert rows(ctx, Invoice)[0].status.value == "paid"


def test_a_pending_order_is_set_paid(client, ctx, store, woo, run_jobs):
    deliver(client, store, woo.add(woo_order(status="pending")))
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    pay(ctx, invoice)
    run_jobs()
    assert sent(woo, "PUT") == [("/orders/727", {"set_paid": True, "transaction_id": "pay_1"})]
    assert woo.orders[727]["status"] == "processing"


def test_a_partial_payment_is_only_noted(ctx, invoiced, woo, run_jobs):
    pay(ctx, invoiced, amount=1000)
    run_jobs()
    assert sent(woo, "PUT") == [] and "10,00" in woo.notes[727][0]["note"].replace(".", ",")


def test_a_busy_store_is_retried_later(ctx, invoiced, woo, run_jobs, clock):
    woo.answer_status = [429]
    pay(ctx, invoiced)
    run_jobs()
    with ctx.db.transaction() as session:
        job = session.scalars(select(Job).where(Job.kind == "stores.push_payment")).one()
    assert job.status == JobStatus.PENDING and "429" in job.last_error
    clock.now = job.run_at
    run_jobs()
    assert woo.orders[727]["status"] == "processing"
    assert len(woo.notes[727]) == 1  # noted once, after the retry


def test_revoked_keys_disconnect_the_store_instead_of_failing_every_poll(
    ctx, store, woo, run_jobs, app
):
    woo.key = "ck_revoked_in_the_store_admin"  # the store no longer knows Paylink's key
    schedule_polls(ctx, app.extensions["paylink.connectors"], 300)
    run_jobs()
    (stored,) = rows(ctx, Store)
    assert stored.active is False and stored.credentials_ciphertext is None
    (poll,) = [j for j in rows(ctx, Job) if j.kind == "stores.poll"]
    assert poll.status == JobStatus.DONE  # no dead job every five minutes
    assert schedule_polls(ctx, app.extensions["paylink.connectors"], 300) == 0


def test_an_order_edited_after_its_invoice_is_a_visible_failure(client, ctx, store, woo, run_jobs):
    deliver(client, store, woo.add(woo_order()))
    run_jobs()
    edited = woo_order(total="45.80", shipping_total="8.16", shipping_tax="1.64",
                       date_modified_gmt="2026-03-02T09:45:00")  # fmt: skip
    deliver(client, store, woo.add(edited), topic="order.updated")
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert invoice.total == 4090  # the invoice sent is not changed behind the customer's back
    (failed,) = [j for j in rows(ctx, Job) if j.status == JobStatus.DEAD]
    assert "order 727 changed" in failed.last_error
