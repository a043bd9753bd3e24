"""Magento orders and quotes through the real endpoint and the worker, against a fake Magento
that verifies each OAuth signature and checks each REST call against the 2.4.9 Swagger file:
signed module events, orders read again, a poll-only store, invoices with `capture: false` and
one comment, refusals with Magento's message on the timeline, a revoked token, and abandoned
quotes placed and invoiced once paid."""

import json
from datetime import timedelta

from connectors import signed_events
from connectors.magento.mapping import order_invoice
from core.billing_rules import Conditions, Effects, Rule
from core.money import Money
from core.services import billing
from core.services.store_sync import schedule_polls
from core.storage.models import Invoice, Job, JobStatus, Message, Store, StoreEvent
from tests.support.fake_magento import CONSUMER_SECRET, mg_order, mg_quote
from tests.support.store_tests import pay, pushed_outcome, rows


def send(client, store, event, clock, event_id="e1", secret=CONSUMER_SECRET, domain=None):
    body = json.dumps(event).encode()
    headers = signed_events.signed_headers(secret, clock(), body)
    headers[signed_events.EVENT_HEADER] = event_id
    headers["X-Paylink-Store"] = domain or store.domain
    return client.post("/connectors/magento/events", data=body, headers=headers)


def placed(order_id=42):
    return {"event": "order.placed", "order_id": order_id}


def test_signatures_and_unknown_stores(client, ctx, store, clock):
    assert send(client, store, placed(), clock, secret="not-the-secret").status_code == 401
    unknown = send(client, store, placed(), clock, domain="elsewhere.example")
    assert unknown.status_code == 200 and unknown.json["ignored"]
    assert rows(ctx, StoreEvent) == []


def test_a_pay_by_link_order_becomes_an_invoice_and_its_sms(
    client, ctx, store, magento, run_jobs, clock
):
    magento.add(mg_order())
    assert send(client, store, placed(), clock).json["duplicate"] is False
    assert send(client, store, placed(), clock).json["duplicate"] is True
    send(client, store, {"event": "order.saved", "order_id": 42}, clock, "e2")
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert (invoice.external_id, invoice.total, invoice.tax, invoice.shipping) == (
        "42",
        4090,
        600,
        490,
    )
    (message,) = rows(ctx, Message)
    assert (message.kind, message.channel) == ("invoice", "sms")
    assert [e.outcome for e in rows(ctx, StoreEvent)] == [
        f"invoice {invoice.number}",
        f"invoice {invoice.number} (already made)",
    ]


def test_a_paid_invoice_invoices_the_order_without_capture_and_comments_once(
    client, ctx, store, magento, run_jobs, clock
):
    magento.add(mg_order())
    send(client, store, placed(), clock)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    pay(ctx, invoice)
    run_jobs()
    (made,) = magento.invoices
    assert made == {"order_id": 42, "capture": False, "notify": True}
    (comment,) = magento.comments[42]
    assert comment["comment"].startswith(f"Paylink: invoice {invoice.number}, 40.90 EUR paid")
    assert comment["comment"].endswith(f"/i/{invoice.link_code}")
    assert (comment["is_customer_notified"], comment["parent_id"]) == (0, 42)
    assert pushed_outcome(ctx, invoice) == "invoiced (paid); noted"


def test_magento_s_refusal_reaches_the_timeline_with_its_parameters(
    client, ctx, store, magento, run_jobs, clock
):
    magento.add(mg_order())
    send(client, store, placed(), clock)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    magento.refuse["POST order/42/invoice"] = (
        'The "%1" order does not allow an invoice to be created.',
        ["000000042"],
    )
    pay(ctx, invoice)
    run_jobs()
    assert pushed_outcome(ctx, invoice) == (
        'Magento refused POST order/42/invoice: The "000000042" order does not allow an '
        "invoice to be created."
    )


def test_a_revoked_token_disconnects_the_store(client, ctx, store, magento, run_jobs, clock):
    magento.revoked = True
    send(client, store, placed(), clock)
    run_jobs()
    assert rows(ctx, StoreEvent)[0].outcome.startswith("store disconnected: the store refused")
    assert rows(ctx, Store)[0].active is False


def test_a_store_without_the_module_is_polled_for_orders_and_quotes(
    ctx, app, store, magento, run_jobs, clock
):
    magento.add(mg_order(updated_at="2026-03-02 09:25:00"))
    magento.add(mg_order(entity_id=41, quote_id=76, updated_at="2026-02-20 09:00:00"))
    magento.quotes[90] = mg_quote()
    assert schedule_polls(ctx, app.extensions["paylink.connectors"], 300) == 1
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert invoice.external_id == "42"
    clock.advance(minutes=61)
    run_jobs()
    cart = [i for i in rows(ctx, Invoice) if i.source_kind == "cart"]
    assert [(i.external_id, i.total) for i in cart] == [("90", 4090)]


def test_a_paid_quote_is_placed_with_pay_by_link_and_invoiced_once(
    ctx, app, store, magento, run_jobs, clock
):
    magento.quotes[90] = mg_quote(updated_at="2026-03-02 09:30:00")
    schedule_polls(ctx, app.extensions["paylink.connectors"], 300)
    run_jobs()
    clock.advance(minutes=61)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    pay(ctx, invoice)
    run_jobs()
    placed_orders = [
        body
        for method, path, body in magento.received
        if method == "PUT" and path == "carts/90/order"
    ]
    assert placed_orders == [{"paymentMethod": {"method": "paylink"}}]
    (made,) = magento.invoices
    assert pushed_outcome(ctx, invoice) == f"order 000000{made['order_id']} made in the store, paid"
    assert magento.quotes[90]["is_active"] is False


def test_signed_but_malformed_events_are_kept_as_failed_events(client, ctx, store, run_jobs, clock):
    body = b'{"event": "order.placed"}'
    headers = signed_events.signed_headers(CONSUMER_SECRET, clock(), body)
    headers.update({signed_events.EVENT_HEADER: "bad", "X-Paylink-Store": store.domain})
    assert client.post("/connectors/magento/events", data=body, headers=headers).status_code == 200
    clock.advance(seconds=1)
    run_jobs()
    (job,) = [j for j in rows(ctx, Job) if j.kind == "stores.process_event"]
    assert job.status == JobStatus.DEAD and "not usable" in job.last_error


def test_an_order_in_the_customer_s_currency_keeps_the_store_s_conversion():
    pounds = mg_order(order_currency_code="GBP", base_currency_code="EUR", base_grand_total=47.5)
    invoice = order_invoice(pounds, 7)
    assert invoice.content.totals().total == Money(4090, "GBP")
    assert invoice.shop_total == Money(4750, "EUR")


def test_the_customer_group_is_a_tag_billing_rules_follow(
    client, ctx, shop, store, magento, run_jobs, clock
):
    trade = Rule("Grossistes", Conditions(customer_tag="wholesale"), Effects(payment_terms_days=45))
    billing.set_rules(ctx, shop.id, [trade])
    magento.add(mg_order(customer_group_id=2))
    magento.add(mg_order(entity_id=43, quote_id=78, customer_group_id=0, customer_is_guest=1))
    send(client, store, placed(), clock)
    send(client, store, placed(43), clock, "e3")
    run_jobs()
    wholesale, guest = rows(ctx, Invoice)
    assert wholesale.due_at - wholesale.created_at == timedelta(days=45)
    assert guest.due_at - guest.created_at != timedelta(days=45)
    asked = [path for method, path, _ in magento.received if path.startswith("customerGroups")]
    assert asked == ["customerGroups/2"]  # a guest has no group to read


def test_an_integration_without_customer_groups_still_invoices(
    client, ctx, store, magento, run_jobs, clock
):
    magento.denied.add("Magento_Customer::group")
    magento.add(mg_order(customer_group_id=2))
    send(client, store, placed(), clock)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert invoice.status.value == "open" and rows(ctx, Store)[0].active
