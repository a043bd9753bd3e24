"""PayPlug against a local server speaking its wire format: hosted payments, instalment plans
offered on the page, and unsigned notifications believed only after fetching what they name."""

import json
import re

import pytest

from core.errors import ValidationError
from core.payments.provider import PaymentMethod
from core.services import invoice_creation, invoicing
from core.services.checkout import start_checkout
from core.services.payment_accounts import configure_payment_account
from core.storage.models import Checkout
from core.storage.models import ProviderEvent as InboxEvent
from tests.support.factories import content, order
from tests.support.providers import (
    current,
    fixture,
    fixture_json,
    jobs_of,
    json_answer,
)

PAYMENT = "pay_5iHMDxy4ABR4YBVW4UscIn"
PLAN = "inst_6AJaRGuTfNnqzUVhhWVATC"


def enable(ctx, fake, shop, **settings):
    return configure_payment_account(
        ctx, fake, shop.id, "payplug", {"secret_key": "sk_test_9Zx8", **settings}
    )


@pytest.fixture
def payplug(ctx, fake, shop, httpserver):
    """A merchant paying with PayPlug, one invoice, and one hosted payment created for it."""
    account = enable(ctx, fake, shop)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    httpserver.expect_oneshot_request("/v1/payments", method="POST").respond_with_response(
        json_answer(fixture("payplug", "payment_created.json"), 201)
    )
    url = start_checkout(
        ctx, fake, invoice, PaymentMethod.CARD, f"https://pay.example/i/{invoice.link_code}"
    )
    assert url == f"https://secure.payplug.com/pay/test/{PAYMENT[4:]}"
    return account, invoice


def notify(client, account, resource: dict) -> object:
    """What PayPlug POSTs to the notification URL: the resource, unsigned."""
    return client.post(
        f"/webhooks/payplug/{account.id}",
        data=json.dumps(resource),
        content_type="application/json",
    )


def answer(httpserver, path, name):
    httpserver.expect_request(path, method="GET").respond_with_response(
        json_answer(fixture("payplug", name))
    )


def test_create_sends_the_payment_with_the_version_and_notification_url(
    ctx, fake, shop, httpserver
):
    account = enable(ctx, fake, shop)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    seen = []

    def handler(request):
        seen.append((request.headers, request.get_json()))
        return json_answer(fixture("payplug", "payment_created.json"), 201)

    httpserver.expect_oneshot_request("/v1/payments").respond_with_handler(handler)
    page = f"https://pay.example/i/{invoice.link_code}"
    start_checkout(ctx, fake, invoice, PaymentMethod.CARD, page)
    ((headers, body),) = seen
    assert headers["Authorization"] == "Bearer sk_test_9Zx8"
    assert headers["PayPlug-Version"] == "2019-08-06"
    assert (body["amount"], body["currency"]) == (7550, "EUR")
    assert body["notification_url"] == f"https://pay.example/webhooks/payplug/{account.id}"
    assert body["hosted_payment"] == {"return_url": page + "/return", "cancel_url": page}
    assert body["billing"]["first_name"] == "Marie" and body["billing"]["last_name"] == "Curie"
    assert body["billing"]["email"] == "marie@example.fr"
    assert body["billing"]["mobile_phone_number"] == "+33612345678"
    assert body["shipping"]["delivery_type"] == "BILLING"
    assert body["metadata"]["invoice_id"] == str(invoice.id)


def test_payplug_takes_euros_only(ctx, fake, shop):
    enable(ctx, fake, shop)
    invoice, _ = invoice_creation.create_invoice(
        ctx, shop.id, order(content=content("10", shipping="0", currency="GBP"))
    )
    with pytest.raises(ValidationError, match="EUR only"):
        start_checkout(ctx, fake, invoice, PaymentMethod.CARD, "https://pay.example/i/x")


def test_a_notification_is_believed_only_after_fetching_the_payment(
    payplug, client, ctx, httpserver, run_jobs
):
    account, invoice = payplug
    # Someone posts a "paid" payment: PayPlug, asked, says it is not.
    claimed = {**fixture_json("payplug", "payment_paid.json")}
    answer(httpserver, f"/v1/payments/{PAYMENT}", "payment_created.json")
    assert notify(client, account, claimed).status_code == 200
    run_jobs()
    assert current(ctx, invoice).status.value == "open"
    httpserver.clear()
    answer(httpserver, f"/v1/payments/{PAYMENT}", "payment_paid.json")
    genuine = fixture_json("payplug", "payment_paid.json")
    genuine["notification"]["response_code"] = None  # a later notification, not the same bytes
    notify(client, account, genuine)
    assert notify(client, account, genuine).json["duplicate"] is True
    run_jobs()
    paid = current(ctx, invoice)
    assert (paid.status.value, paid.amount_paid) == ("paid", 7550)


def test_what_is_not_a_payplug_notification_is_refused(payplug, client, ctx):
    account, _ = payplug
    for body in (b"not json", b'{"object": "customer", "id": "cus_1"}', b'{"id": "../x"}'):
        response = client.post(f"/webhooks/payplug/{account.id}", data=body)
        assert response.status_code == 400
    with ctx.db.transaction() as session:
        assert session.query(InboxEvent).count() == 0


def test_a_failed_payment_is_a_failed_attempt(payplug, client, ctx, httpserver, run_jobs):
    account, invoice = payplug
    answer(httpserver, f"/v1/payments/{PAYMENT}", "payment_failed.json")
    notify(client, account, fixture_json("payplug", "payment_failed.json"))
    run_jobs()
    assert current(ctx, invoice).status.value == "open"
    assert invoicing.last_payment_failed(ctx, invoice.id)


def test_a_refund_before_its_payment_waits_then_applies(
    payplug, client, ctx, clock, httpserver, run_jobs
):
    account, invoice = payplug
    answer(httpserver, f"/v1/payments/{PAYMENT}/refunds/re_3NxGqPfSGMHQgLSZH0Mv3B", "refund.json")
    answer(httpserver, f"/v1/payments/{PAYMENT}", "payment_paid.json")
    notify(client, account, fixture_json("payplug", "refund.json"))
    run_jobs()
    (waiting,) = jobs_of(ctx, "payments.process_event")
    assert "names no checkout" in waiting.last_error
    client.get(f"/i/{invoice.link_code}/return")  # coming back reads the payment: paid
    run_jobs()
    clock.now = waiting.run_at
    run_jobs()
    settled = current(ctx, invoice)
    assert (settled.status.value, settled.amount_paid, settled.amount_refunded) == (
        "paid",
        7550,
        2000,
    )


def schedule_on(html: str) -> list[str]:
    return re.findall(r"<li><span class=\"num\">([^<]+)</span> ([^<]+)</li>", html)


def test_the_page_offers_the_exact_instalment_schedule(ctx, fake, shop, client):
    enable(ctx, fake, shop, instalments=3)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    html = client.get(f"/i/{invoice.link_code}").get_data(as_text=True)
    assert "Payer en 3 fois" in html
    assert schedule_on(html) == [
        ("25,17\u00a0€", "aujourd&#39;hui"),
        ("25,17\u00a0€", "le 1 avril 2026"),
        ("25,16\u00a0€", "le 1 mai 2026"),
    ]
    english = client.get(f"/i/{invoice.link_code}?lang=en").get_data(as_text=True)
    assert "Pay in 3 instalments" in english and ("€25.16", "on 1 May 2026") in schedule_on(english)


def test_no_instalments_below_the_merchant_s_minimum_or_when_not_offered(ctx, fake, shop, client):
    enable(ctx, fake, shop, instalments=3, instalment_minimum=10000)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    html = client.get(f"/i/{invoice.link_code}").get_data(as_text=True)
    assert "fois" not in html and 'value="card"' in html
    with pytest.raises(ValidationError, match="instalments"):
        start_checkout(ctx, fake, invoice, PaymentMethod.INSTALMENTS, "https://pay.example/i/x")
    with pytest.raises(ValidationError, match="instalment"):
        enable(ctx, fake, shop, instalments=30)


def test_an_instalment_plan_is_created_from_the_page_and_paid_part_by_part(
    ctx, fake, shop, client, httpserver, run_jobs
):
    account = enable(ctx, fake, shop, instalments=3)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    html = client.get(f"/i/{invoice.link_code}").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    sent = []

    def create(request):
        sent.append(request.get_json())
        return json_answer(fixture("payplug", "installment_plan_created.json"), 201)

    httpserver.expect_oneshot_request("/v1/installment_plans", method="POST").respond_with_handler(
        create
    )
    chosen = client.post(
        f"/i/{invoice.link_code}/pay", data={"token": token, "method": "instalments"}
    )
    assert chosen.status_code == 303
    assert chosen.headers["Location"] == f"https://secure.payplug.com/pay/test/{PLAN[5:]}"
    ((body,),) = [sent]
    assert body["schedule"] == [
        {"date": "2026-03-02", "amount": 2517},
        {"date": "2026-04-01", "amount": 2517},
        {"date": "2026-05-01", "amount": 2516},
    ]
    assert body["currency"] == "EUR" and "amount" not in body
    # The first part is paid on PayPlug's page, the second on its date.
    for number, paid_so_far in ((1, 2517), (2, 5034)):
        payment = fixture_json("payplug", f"instalment_{number}_paid.json")
        answer(httpserver, f"/v1/payments/{payment['id']}", f"instalment_{number}_paid.json")
        notify(client, account, payment)
        run_jobs()
        now = current(ctx, invoice)
        assert (now.status.value, now.amount_paid) == ("partially_paid", paid_so_far)
    with ctx.db.transaction() as session:
        checkout = session.query(Checkout).one()
        assert (checkout.provider_reference, checkout.method) == (PLAN, "instalments")


def test_the_connection_test_lists_a_payment(payplug, ctx, shop, fake, httpserver):
    from core.services.payment_accounts import check_connection

    httpserver.expect_oneshot_request(
        "/v1/payments", query_string="per_page=1"
    ).respond_with_response(json_answer({"object": "list", "data": [], "page": 0, "per_page": 1}))
    check_connection(ctx, fake, shop.id, "payplug")
