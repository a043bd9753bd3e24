"""PrestaShop events through the real endpoint and the worker, against a fake Webservice that
checks the key and reads only XML: signatures, duplicates and reordering, orders invoiced from
the shop's current state, orders settled in the shop, the poller catching what the module
missed, abandoned carts recovered into orders, payments pushed back (state, payment with the
provider's id, one private message), and the shop's refusals on the invoice's timeline."""

import json
from datetime import timedelta

import pytest

from connectors import signed_events as auth
from connectors.prestashop.mapping import in_language
from core.billing_rules import Conditions, Effects, Rule
from core.services import billing
from core.services.invoice_queries import invoice_timeline
from core.services.store_sync import schedule_polls
from core.storage.models import Invoice, Job, JobStatus, Message, Store, StoreEvent
from tests.support.fake_prestashop import SHOP_SECRET, cart_event, ps_order
from tests.support.store_tests import pay, pushed_outcome, rows


def send(
    client,
    store,
    event,
    clock,
    event_id="a1b2c3d4e5f60718293a4b5c6d7e8f90",
    secret=SHOP_SECRET,
    at=None,
):
    body = json.dumps(event).encode()
    headers = auth.signed_headers(secret, at or clock(), body)
    headers[auth.EVENT_HEADER] = event_id
    return client.post(f"/connectors/prestashop/events/{store.id}", data=body, headers=headers)


def validated(order_id=42, id_cart=77):
    return {"event": "order.validated", "id_order": order_id, "id_cart": id_cart}


def test_signatures_timestamps_and_unknown_shops(client, ctx, store, clock):
    assert send(client, store, validated(), clock, secret="not-the-secret").status_code == 401
    late = send(client, store, validated(), clock, at=clock() - timedelta(minutes=6))
    assert late.status_code == 401 and "too old" in late.json["error"]["message"]
    body = json.dumps(validated()).encode()
    unsigned = client.post(f"/connectors/prestashop/events/{store.id}", data=body)
    assert unsigned.status_code == 401
    headers = auth.signed_headers(SHOP_SECRET, clock(), body)
    no_id = client.post(f"/connectors/prestashop/events/{store.id}", data=body, headers=headers)
    assert no_id.status_code == 422 and "X-Paylink-Event-Id" in no_id.json["error"]["message"]
    assert rows(ctx, StoreEvent) == []
    unknown = client.post("/connectors/prestashop/events/999", data=body, headers=headers)
    assert unknown.status_code == 200 and unknown.json["ignored"]


def test_an_order_awaiting_paylink_payment_becomes_an_invoice_and_its_sms(
    client, ctx, store, presta, run_jobs, clock
):
    presta.add(ps_order())
    assert send(client, store, validated(), clock).json == {"received": True, "duplicate": False}
    assert send(client, store, validated(), clock).json["duplicate"] is True  # resent by the module
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert (invoice.external_id, invoice.source_kind, invoice.total, invoice.currency) == (
        "42",
        "order",
        4090,
        "EUR",
    )
    assert (invoice.tax, invoice.shipping) == (600, 490)  # 2 × (18,00 − 15,00), VAT included
    assert ("GET", "orders/42", None) in presta.received  # read again from the shop
    (message,) = rows(ctx, Message)
    assert (message.kind, message.channel) == ("invoice", "sms")  # +33 6 12 34 56 78
    (event,) = rows(ctx, StoreEvent)
    assert event.outcome == f"invoice {invoice.number}"


def test_the_shop_s_current_state_wins_over_the_order_events_arrive_in(
    client, ctx, store, presta, run_jobs, clock
):
    """The status change (paid at the counter) is processed before the validation event: both
    read the order as it is now, so no invoice is ever made."""
    presta.add(ps_order(valid="1", current_state="2"))
    send(client, store, {"event": "order.status", "id_order": 42, "id_cart": 77}, clock, "e2")
    send(client, store, validated(), clock, "e1")
    run_jobs()
    assert rows(ctx, Invoice) == []
    assert [e.outcome for e in rows(ctx, StoreEvent)] == ["paid in the shop: no invoice"] * 2


def test_an_order_cancelled_in_the_shop_cancels_its_invoice(
    client, ctx, store, presta, run_jobs, clock
):
    presta.add(ps_order())
    send(client, store, validated(), clock, "e1")
    run_jobs()
    presta.orders[42]["current_state"] = "6"
    send(client, store, {"event": "order.status", "id_order": 42, "id_cart": 77}, clock, "e2")
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert invoice.status.value == "void"
    assert invoice_timeline(ctx, invoice.merchant_id, invoice.id)[-1].data["reason"] == (
        "order cancelled in the shop"
    )


def test_an_order_whose_lines_do_not_add_up_is_kept_as_a_failed_event(
    client, ctx, store, presta, run_jobs, clock
):
    presta.add(ps_order(total_paid_tax_incl="41.900000"))
    send(client, store, validated(), clock)
    run_jobs()
    assert rows(ctx, Invoice) == []
    (job,) = [j for j in rows(ctx, Job) if j.kind == "stores.process_event"]
    assert job.status == JobStatus.DEAD
    assert "parts add up to 40.90 EUR, PrestaShop says 41.90 EUR" in job.last_error


def test_a_paid_invoice_moves_the_order_to_paid_with_the_provider_s_id_and_one_note(
    client, ctx, store, presta, run_jobs, clock
):
    presta.add(ps_order())
    send(client, store, validated(), clock)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    pay(ctx, invoice)
    run_jobs()
    assert presta.histories == [{"id_order": "42", "id_order_state": "2"}]
    (payment,) = presta.payments  # made by the state change, then given the provider's id
    assert (payment["amount"], payment["transaction_id"], payment["payment_method"]) == (
        "40.90",
        "pi_3Nq8Xb",
        "Paylink",
    )
    (note,) = presta.messages
    assert note["private"] == "1" and note["id_order"] == "42"
    assert note["message"].startswith(
        f"Paylink: invoice {invoice.number}, 40.90 EUR paid (pi_3Nq8Xb)"
    )
    assert note["message"].endswith(f"/i/{invoice.link_code}")
    assert pushed_outcome(ctx, invoice) == "marked paid; payment referenced; noted"
    writes = [(m, p) for m, p, fields in presta.received if fields is not None]
    assert writes == [
        ("POST", "order_histories"),
        ("PUT", "order_payments/1"),
        ("POST", "messages"),
    ]


def test_a_partial_payment_is_noted_and_the_state_left(client, ctx, store, presta, run_jobs, clock):
    presta.add(ps_order())
    send(client, store, validated(), clock)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    pay(ctx, invoice, amount=2000)
    run_jobs()
    assert presta.histories == [] and presta.payments == []
    assert pushed_outcome(ctx, invoice) == "partly paid: noted; noted"


def test_the_shop_s_refusal_is_shown_on_the_invoice_timeline(
    client, ctx, store, presta, run_jobs, clock
):
    """A shop answering its errors in XML, refusing the note: the reason reaches the
    merchant on the invoice's timeline instead of a retried job."""
    presta.add(ps_order())
    send(client, store, validated(), clock)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    presta.xml_errors = True
    presta.refuse["POST messages"] = "Validation error: message is too long"
    pay(ctx, invoice)
    run_jobs()
    assert pushed_outcome(ctx, invoice) == (
        "marked paid; payment referenced; "
        "PrestaShop refused POST messages: Validation error: message is too long"
    )


def test_a_refused_key_disconnects_the_shop(client, ctx, store, presta, run_jobs, clock):
    presta.key = "ANOTHERKEYANOTHERKEYANOTHERKEY12"
    presta.add(ps_order())
    send(client, store, validated(), clock)
    run_jobs()
    (event,) = rows(ctx, StoreEvent)
    assert event.outcome.startswith("store disconnected: the shop refused Paylink's Webservice key")
    assert rows(ctx, Store)[0].active is False


def test_the_poller_catches_an_order_the_module_could_not_send(
    ctx, app, store, presta, run_jobs, clock
):
    presta.add(ps_order(date_upd="2026-03-02 10:25:00"))
    presta.add(ps_order(id=41, id_cart="76", date_upd="2026-02-20 10:00:00"))  # long before
    assert schedule_polls(ctx, app.extensions["paylink.connectors"], 300) == 1
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert invoice.external_id == "42"
    listed = [args for m, path, args in presta.received if path == "orders"]
    assert listed, "the poller lists orders by date_upd"
    (store_row,) = rows(ctx, Store)
    assert store_row.polled_until == clock()


def test_an_abandoned_cart_is_invoiced_after_the_delay_and_recovered_into_an_order(
    client, ctx, store, presta, run_jobs, clock
):
    send(client, store, cart_event(changed_at=clock().isoformat()), clock, "c1")
    run_jobs()
    assert rows(ctx, Invoice) == []
    clock.advance(minutes=61)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert (invoice.source_kind, invoice.external_id, invoice.total) == ("cart", "77", 4090)
    assert rows(ctx, Message)[0].kind == "abandoned_cart"
    pay(ctx, invoice)
    run_jobs()
    (asked,) = presta.recovered
    assert asked == {
        "id_cart": 77,
        "amount": "40.90",
        "currency": "EUR",
        "transaction_id": "pi_3Nq8Xb",
        "invoice": invoice.number,
    }
    assert pushed_outcome(ctx, invoice) == "order RECOVERED made in the shop, paid"


def test_a_cart_that_became_an_order_is_not_invoiced(client, ctx, store, presta, run_jobs, clock):
    send(client, store, cart_event(changed_at=clock().isoformat()), clock, "c1")
    run_jobs()
    presta.add(ps_order(valid="1", current_state="2"))
    send(client, store, validated(), clock, "o1")
    clock.advance(minutes=61)
    run_jobs()
    assert rows(ctx, Invoice) == []


def test_the_module_disconnecting_disconnects_the_shop(client, ctx, store, run_jobs, clock):
    send(client, store, {"event": "shop.disconnected"}, clock)
    run_jobs()
    assert rows(ctx, Store)[0].active is False
    assert rows(ctx, StoreEvent)[0].outcome == "store disconnected"


@pytest.mark.parametrize("body", [b"{not json", b'{"event": "order.validated"}', b"[]"])
def test_signed_but_malformed_events_are_kept_as_failed_events(
    client, ctx, store, run_jobs, clock, body
):
    headers = auth.signed_headers(SHOP_SECRET, clock(), body)
    headers[auth.EVENT_HEADER] = "bad-1"
    answer = client.post(f"/connectors/prestashop/events/{store.id}", data=body, headers=headers)
    assert answer.status_code == 200
    run_jobs()
    (job,) = [j for j in rows(ctx, Job) if j.kind == "stores.process_event"]
    assert job.status == JobStatus.DEAD and "not usable" in job.last_error


def test_a_busy_shop_is_asked_again_later(client, ctx, store, presta, run_jobs, clock):
    """429 and 5xx from the Webservice: the event waits (Retry-After or the default) and is
    applied once the shop answers."""
    presta.add(ps_order())
    presta.answer_status = [503]
    send(client, store, validated(), clock)
    run_jobs()
    (job,) = [j for j in rows(ctx, Job) if j.kind == "stores.process_event"]
    assert job.status == JobStatus.PENDING and "the store answered 503" in job.last_error
    assert rows(ctx, Invoice) == []
    clock.advance(minutes=5)
    run_jobs()
    assert [i.external_id for i in rows(ctx, Invoice)] == ["42"]


def test_an_order_in_the_customer_s_currency_keeps_the_shop_s_conversion(
    client, ctx, store, presta, run_jobs, clock
):
    presta.add(ps_order(id_currency="2", conversion_rate="1.080000"))  # dollars, 1 € = 1.08 $
    send(client, store, validated(), clock)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert (invoice.currency, invoice.total) == ("USD", 4090)
    assert (invoice.shop_currency, invoice.shop_total) == ("EUR", 3787)  # 40.90 / 1.08


def test_the_customer_s_group_is_a_tag_billing_rules_follow(
    client, ctx, shop, store, presta, run_jobs, clock
):
    pros = Rule("Pros à 30 jours", Conditions(customer_tag="PROS"), Effects(payment_terms_days=30))
    billing.set_rules(ctx, shop.id, [pros])
    presta.resources["customers"][5]["id_default_group"] = "4"
    presta.add(ps_order())
    send(client, store, validated(), clock)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert invoice.due_at - invoice.created_at == timedelta(days=30)  # "Pros", in French
    assert ("GET", "groups/4", None) in presta.received


def test_a_module_that_cannot_read_groups_still_invoices(
    client, ctx, shop, store, presta, run_jobs, clock
):
    presta.denied.add("groups")  # a module before 1.2.0
    presta.add(ps_order())
    send(client, store, validated(), clock)
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    assert invoice.status.value == "open"
    with ctx.db.reading() as session:
        assert session.get(Store, store.id).active


def test_a_multilingual_name_is_read_in_the_order_s_language():
    name = [{"id": "1", "value": "Pros"}, {"id": "2", "value": "Professionals"}]
    assert in_language(name, "2") == "Professionals"
    assert in_language(name, 3) == "Pros"  # a language the group has no name in: the first
    assert in_language("Pros", "2") == "Pros"  # asked with ?language=: the text itself
    assert in_language([], "1") == in_language(None, "1") == ""
