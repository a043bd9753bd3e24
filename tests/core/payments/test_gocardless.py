"""GoCardless instant bank pay against a local server speaking its wire format: the billing
request and its flow, HMAC-signed webhooks (498 when wrong), and resources fetched in the job."""

import hashlib
import hmac
import json

import pytest

from core.errors import ValidationError
from core.payments.provider import PaymentMethod
from core.services import invoice_creation, invoicing
from core.services.checkout import start_checkout
from core.services.payment_accounts import configure_payment_account
from core.storage.models import Checkout
from core.storage.models import ProviderEvent as InboxEvent
from tests.support.factories import content, order
from tests.support.providers import current, fixture, fixture_json, jobs_of, json_answer

BILLING_REQUEST = "BRQ0005QZ8T4X3B"
PAYMENT = "PM00BV4Z6Q1KJW"
SECRETS = ["old-secret-still-valid", "gc-webhook-secret"]


def enable(ctx, fake, shop):
    credentials = {"access_token": "sandbox_tok", "webhook_secrets": SECRETS}
    return configure_payment_account(ctx, fake, shop.id, "gocardless", credentials)


@pytest.fixture
def gocardless(ctx, fake, shop, httpserver):
    """A merchant taking instant bank payments, one invoice, one billing request for it."""
    account = enable(ctx, fake, shop)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    httpserver.expect_oneshot_request("/billing_requests", method="POST").respond_with_response(
        json_answer(fixture("gocardless", "billing_request_created.json"), 201)
    )
    httpserver.expect_oneshot_request(
        "/billing_request_flows", method="POST"
    ).respond_with_response(
        json_answer(fixture("gocardless", "billing_request_flow_created.json"), 201)
    )
    url = start_checkout(
        ctx, fake, invoice, PaymentMethod.BANK_PAY, f"https://pay.example/i/{invoice.link_code}"
    )
    assert url == "https://pay.gocardless.com/billing/static/flow?id=BRF0005CR2M9GZA"
    return account, invoice


def answer(httpserver, path, name):
    httpserver.expect_request(path, method="GET").respond_with_response(
        json_answer(fixture("gocardless", name))
    )


def deliver(client, account, name, secret=SECRETS[1], signature=None):
    body = fixture("gocardless", name)
    signed = signature or hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        f"/webhooks/gocardless/{account.id}",
        data=body,
        content_type="application/json",
        headers={"Webhook-Signature": signed},
    )


def test_create_sends_both_envelopes_with_gocardless_headers(ctx, fake, shop, httpserver):
    enable(ctx, fake, shop)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    seen = []

    def recorder(name):
        def handler(request):
            seen.append((request.headers, request.get_json()))
            return json_answer(fixture("gocardless", name), 201)

        return handler

    httpserver.expect_oneshot_request("/billing_requests").respond_with_handler(
        recorder("billing_request_created.json")
    )
    httpserver.expect_oneshot_request("/billing_request_flows").respond_with_handler(
        recorder("billing_request_flow_created.json")
    )
    page = f"https://pay.example/i/{invoice.link_code}"
    start_checkout(ctx, fake, invoice, PaymentMethod.BANK_PAY, page)
    (request_headers, request_body), (flow_headers, flow_body) = seen
    assert request_headers["Authorization"] == "Bearer sandbox_tok"
    assert request_headers["GoCardless-Version"] == "2015-07-06"
    assert request_headers["Idempotency-Key"] != flow_headers["Idempotency-Key"]
    payment_request = request_body["billing_requests"]["payment_request"]
    assert (payment_request["amount"], payment_request["currency"]) == (7550, "EUR")
    assert request_body["billing_requests"]["metadata"]["invoice_id"] == str(invoice.id)
    flow = flow_body["billing_request_flows"]
    assert flow["links"] == {"billing_request": BILLING_REQUEST}
    assert (flow["redirect_uri"], flow["exit_uri"]) == (page + "/return", page)
    assert flow["prefilled_customer"] == {
        "given_name": "Marie",
        "family_name": "Curie",
        "email": "marie@example.fr",
    }
    with ctx.db.transaction() as session:
        assert session.query(Checkout).one().provider_reference == BILLING_REQUEST


def test_instant_bank_pay_is_for_pounds_and_euros_only(ctx, fake, shop):
    enable(ctx, fake, shop)
    invoice, _ = invoice_creation.create_invoice(
        ctx, shop.id, order(content=content("1000", shipping="0", currency="USD"))
    )
    with pytest.raises(ValidationError, match="GBP or EUR"):
        start_checkout(ctx, fake, invoice, PaymentMethod.BANK_PAY, "https://pay.example/i/x")


def test_a_fulfilled_billing_request_pays_the_invoice(
    gocardless, client, ctx, httpserver, run_jobs
):
    account, invoice = gocardless
    answer(httpserver, f"/billing_requests/{BILLING_REQUEST}", "billing_request_fulfilled.json")
    answer(httpserver, f"/payments/{PAYMENT}", "payment_confirmed.json")
    response = deliver(client, account, "webhook_billing_request_fulfilled.json")
    assert response.status_code == 200 and response.json["duplicate"] is False
    replay = deliver(client, account, "webhook_billing_request_fulfilled.json")
    assert replay.json["duplicate"] is True
    run_jobs()
    paid = current(ctx, invoice)
    assert (paid.status.value, paid.amount_paid) == ("paid", 7550)
    # Two events named the billing request: it was read once.
    reads = [r for r, _ in httpserver.log if r.path == f"/billing_requests/{BILLING_REQUEST}"]
    assert len(reads) == 1


def test_bad_signatures_answer_498_and_store_nothing(gocardless, client, ctx):
    account, _ = gocardless
    wrong = deliver(client, account, "webhook_payment_confirmed.json", secret="not-the-secret")
    assert wrong.status_code == 498 and "does not match" in wrong.json["error"]["message"]
    unsigned = client.post(
        f"/webhooks/gocardless/{account.id}",
        data=fixture("gocardless", "webhook_payment_confirmed.json"),
        content_type="application/json",
    )
    assert unsigned.status_code == 498
    tampered_body = fixture("gocardless", "webhook_payment_confirmed.json").replace(
        b"PM00", b"PM99"
    )
    good_for_original = hmac.new(
        SECRETS[1].encode(), fixture("gocardless", "webhook_payment_confirmed.json"), hashlib.sha256
    ).hexdigest()
    tampered = client.post(
        f"/webhooks/gocardless/{account.id}",
        data=tampered_body,
        headers={"Webhook-Signature": good_for_original},
    )
    assert tampered.status_code == 498
    with ctx.db.transaction() as session:
        assert session.query(InboxEvent).count() == 0


def test_either_configured_secret_verifies(gocardless, client):
    account, _ = gocardless
    assert (
        deliver(client, account, "webhook_refund_paid.json", secret=SECRETS[0]).status_code == 200
    )


def test_a_payment_event_before_its_billing_request_waits_for_it(
    gocardless, client, ctx, clock, httpserver, run_jobs
):
    """payments.confirmed names only the payment; the invoice is found once the billing
    request's own event has paired that payment with our checkout."""
    account, invoice = gocardless
    payment_answers = iter(["payment_confirmed.json", "payment_pending_submission.json"])
    httpserver.expect_request(f"/payments/{PAYMENT}").respond_with_handler(
        lambda request: json_answer(
            fixture("gocardless", next(payment_answers, "payment_confirmed.json"))
        )
    )
    deliver(client, account, "webhook_payment_confirmed.json")
    run_jobs()
    (waiting,) = jobs_of(ctx, "payments.process_event")
    assert waiting.status.value == "pending" and "names no checkout" in waiting.last_error
    answer(httpserver, f"/billing_requests/{BILLING_REQUEST}", "billing_request_fulfilled.json")
    deliver(client, account, "webhook_billing_request_fulfilled.json")
    run_jobs()  # the payment is still pending submission when the billing request is read
    assert current(ctx, invoice).status.value == "open"
    with ctx.db.transaction() as session:
        assert session.query(Checkout).one().payment_reference == PAYMENT
    clock.now = waiting.run_at
    run_jobs()
    paid = current(ctx, invoice)
    assert (paid.status.value, paid.amount_paid) == ("paid", 7550)


def test_a_refund_is_read_back_and_applied(gocardless, client, ctx, httpserver, run_jobs):
    account, invoice = gocardless
    answer(httpserver, f"/billing_requests/{BILLING_REQUEST}", "billing_request_fulfilled.json")
    answer(httpserver, f"/payments/{PAYMENT}", "payment_confirmed.json")
    answer(httpserver, "/refunds/RF0000D2Q8V1ZT", "refund_paid.json")
    deliver(client, account, "webhook_billing_request_fulfilled.json")
    deliver(client, account, "webhook_refund_paid.json")
    run_jobs()
    settled = current(ctx, invoice)
    assert (settled.amount_paid, settled.amount_refunded) == (7550, 2000)


def test_coming_back_reads_the_billing_request(gocardless, client, ctx, httpserver, run_jobs):
    _, invoice = gocardless
    answer(httpserver, f"/billing_requests/{BILLING_REQUEST}", "billing_request_fulfilled.json")
    answer(httpserver, f"/payments/{PAYMENT}", "payment_confirmed.json")
    assert client.get(f"/i/{invoice.link_code}/return").status_code == 200
    run_jobs()
    assert current(ctx, invoice).status.value == "paid"
    assert "Paiement reçu" in client.get(f"/i/{invoice.link_code}/return").get_data(as_text=True)


def test_a_cancelled_billing_request_is_a_failed_attempt(
    gocardless, client, ctx, httpserver, run_jobs
):
    _, invoice = gocardless
    answer(httpserver, f"/billing_requests/{BILLING_REQUEST}", "billing_request_cancelled.json")
    client.get(f"/i/{invoice.link_code}/return")
    run_jobs()
    assert current(ctx, invoice).status.value == "open"
    assert invoicing.last_payment_failed(ctx, invoice.id)


def test_the_connection_test_lists_one_creditor(gocardless, ctx, shop, fake, httpserver):
    from core.errors import PaylinkError
    from core.services.payment_accounts import check_connection

    httpserver.expect_oneshot_request("/creditors", query_string="limit=1").respond_with_response(
        json_answer({"creditors": [], "meta": {"cursors": {}, "limit": 1}})
    )
    check_connection(ctx, fake, shop.id, "gocardless")
    httpserver.expect_oneshot_request("/creditors").respond_with_response(
        json_answer({"error": {"message": "Invalid access token", "errors": []}}, 401)
    )
    with pytest.raises(PaylinkError, match="Invalid access token"):
        check_connection(ctx, fake, shop.id, "gocardless")


def test_a_chargeback_takes_the_payment_back(gocardless, client, ctx, httpserver, run_jobs):
    """The customer disputed the debit: GoCardless's payment is `charged_back`, applied as a
    refund of the whole payment (the invoice no longer counts it as paid), once."""
    account, invoice = gocardless
    answer(httpserver, f"/billing_requests/{BILLING_REQUEST}", "billing_request_fulfilled.json")
    statuses = iter(["confirmed", "charged_back"])

    def payment(_request):
        body = fixture_json("gocardless", "payment_confirmed.json")
        body["payments"]["status"] = next(statuses, "charged_back")
        return json_answer(body)

    httpserver.expect_request(f"/payments/{PAYMENT}").respond_with_handler(payment)
    deliver(client, account, "webhook_billing_request_fulfilled.json")
    run_jobs()
    assert current(ctx, invoice).status.value == "paid"
    event = json.loads(fixture("gocardless", "webhook_payment_confirmed.json"))
    event["events"][0].update({"id": "EV01A2B3C4D5ZZ", "action": "charged_back"})
    for _ in range(2):  # delivered twice
        body = json.dumps(event).encode()
        signed = hmac.new(SECRETS[1].encode(), body, hashlib.sha256).hexdigest()
        client.post(
            f"/webhooks/gocardless/{account.id}",
            data=body,
            content_type="application/json",
            headers={"Webhook-Signature": signed},
        )
    run_jobs()
    taken_back = current(ctx, invoice)
    assert (taken_back.amount_paid, taken_back.amount_refunded) == (7550, 7550)
    assert taken_back.status.value == "refunded"


def test_payouts_follow_the_cursor_and_carry_each_payment_with_its_fees(
    ctx, fake, shop, httpserver
):
    from datetime import date

    from core.money import Money
    from core.services.payment_accounts import provider_for

    account = enable(ctx, fake, shop)
    empty = {"payouts": [], "meta": {"cursors": {"before": None, "after": None}, "limit": 500}}
    httpserver.expect_oneshot_request(
        "/payouts",
        query_string={"created_at[gte]": "2026-11-28T00:00:00Z", "limit": "500"},
        headers={"GoCardless-Version": "2015-07-06", "Authorization": "Bearer sandbox_tok"},
    ).respond_with_response(json_answer(fixture("gocardless", "payouts_list.json")))
    httpserver.expect_oneshot_request(
        "/payouts",
        query_string={
            "created_at[gte]": "2026-11-28T00:00:00Z",
            "limit": "500",
            "after": "PO0004NB5X6TQ2",
        },
    ).respond_with_json(empty)
    httpserver.expect_oneshot_request(
        "/payout_items", query_string={"payout": "PO0004NB5X6TQ2", "limit": "500"}
    ).respond_with_response(json_answer(fixture("gocardless", "payout_items_list.json")))
    [payout] = provider_for(ctx, fake, account).payouts(date(2026, 11, 29))
    httpserver.check_assertions()
    assert (payout.amount, payout.fees, payout.bank_reference) == (
        Money(7380, "EUR"),
        Money(170, "EUR"),
        "LUNE-QXQ5WJ8RBN",
    )
    [item] = payout.payments
    assert (item.provider_payment_id, item.gross.minor, item.fee.minor) == (PAYMENT, 7550, 170)
