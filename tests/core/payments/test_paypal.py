"""PayPal against a local server speaking its wire format: OAuth2 client credentials, Orders v2
create and capture, and webhooks verified through verify-webhook-signature in the job."""

import base64
import json
import re
from urllib.parse import parse_qsl

import pytest

from core.errors import ValidationError
from core.money import Money
from core.payments.paypal import client as paypal_client
from core.payments.paypal import mapping
from core.payments.provider import PaymentMethod
from core.services import invoice_creation
from core.services.checkout import start_checkout
from core.services.payment_accounts import configure_payment_account
from core.storage.models import Checkout
from core.storage.models import ProviderEvent as InboxEvent
from tests.support.factories import order
from tests.support.openapi_contract import PAYPAL, OpenApiContract, checked_against
from tests.support.providers import (
    current,
    fixture,
    fixture_json,
    jobs_of,
    json_answer,
    use_fake_apis,
)

ORDER_ID = "5O190127TN364715T"
CAPTURE_ID = "3C679366HH908993F"
CREDENTIALS = {"client_id": "AcLient1d", "client_secret": "EcL1entS3cret", "webhook_id": "8PT5978"}


@pytest.fixture(autouse=True)
def fresh_tokens():
    paypal_client._tokens.clear()


@pytest.fixture
def paypal(app, ctx, env, shop, httpserver):
    """A merchant paying with PayPal, one invoice, and one order created for it."""
    fake = use_fake_apis(app, env, httpserver.url_for("/"))
    account = configure_payment_account(ctx, fake, shop.id, "paypal", CREDENTIALS)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    httpserver.expect_request("/v1/oauth2/token", method="POST").respond_with_response(
        json_answer(fixture("paypal", "oauth_token.json"))
    )
    httpserver.expect_oneshot_request("/v2/checkout/orders", method="POST").respond_with_response(
        json_answer(fixture("paypal", "order_created.json"), 201)
    )
    url = start_checkout(
        ctx, fake, invoice, PaymentMethod.PAYPAL, f"https://pay.example/i/{invoice.link_code}"
    )
    assert url == f"https://www.paypal.com/checkoutnow?token={ORDER_ID}"
    return account, invoice


def transmission(body: bytes, transmission_id="69cd13f0-d67a-11e5-baa3-778b53f4ae55"):
    return {
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        "PAYPAL-CERT-URL": "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270",
        "PAYPAL-TRANSMISSION-ID": transmission_id,
        "PAYPAL-TRANSMISSION-SIG": base64.b64encode(transmission_id.encode() * 4).decode(),
        "PAYPAL-TRANSMISSION-TIME": "2026-11-25T09:01:15Z",
    }


def deliver(client, account, name, **headers):
    body = fixture("paypal", name)
    return client.post(
        f"/webhooks/paypal/{account.id}",
        data=body,
        content_type="application/json",
        headers=transmission(body, **headers),
    )


def verifier(httpserver, verdict="SUCCESS", seen=None):
    def handler(request):
        if seen is not None:
            seen.append(request.get_data())
        return json_answer({"verification_status": verdict})

    httpserver.expect_request(
        "/v1/notifications/verify-webhook-signature", method="POST"
    ).respond_with_handler(handler)


def test_create_order_sends_the_exact_body_and_reuses_the_token(ctx, env, shop, app, httpserver):
    fake = use_fake_apis(app, env, httpserver.url_for("/"))
    configure_payment_account(ctx, fake, shop.id, "paypal", CREDENTIALS)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    seen = []

    def token(request):
        seen.append(("token", request.headers.get("Authorization"), request.get_data(as_text=True)))
        return json_answer(fixture("paypal", "oauth_token.json"))

    def create(request):
        seen.append(("order", dict(request.headers), request.get_json()))
        created = fixture_json("paypal", "order_created.json")
        created["id"] += str(len(seen))
        return json_answer(created, 201)

    httpserver.expect_oneshot_request("/v1/oauth2/token").respond_with_handler(token)
    httpserver.expect_request("/v2/checkout/orders", method="POST").respond_with_handler(create)
    page = f"https://pay.example/i/{invoice.link_code}"
    start_checkout(ctx, fake, invoice, PaymentMethod.PAYPAL, page)
    start_checkout(ctx, fake, invoice, PaymentMethod.PAYPAL, page)  # same token, fresh order
    (_, basic, form), (_, headers, body), (_, second, _) = seen
    assert basic == "Basic " + base64.b64encode(b"AcLient1d:EcL1entS3cret").decode()
    assert dict(parse_qsl(form)) == {"grant_type": "client_credentials"}
    assert headers["Authorization"].startswith("Bearer A21AAK")
    assert headers["Paypal-Request-Id"].startswith(f"paylink-checkout-{invoice.id}-")
    assert second["Paypal-Request-Id"] != headers["Paypal-Request-Id"]
    assert body["intent"] == "CAPTURE"
    unit = body["purchase_units"][0]
    assert unit["amount"] == {"currency_code": "EUR", "value": "75.50"}
    assert (unit["reference_id"], unit["custom_id"]) == (invoice.number, str(invoice.id))
    context = body["payment_source"]["paypal"]["experience_context"]
    assert context["return_url"] == page + "/return" and context["cancel_url"] == page
    assert (context["locale"], context["user_action"]) == ("fr-FR", "PAY_NOW")


def test_a_token_paypal_no_longer_accepts_is_renewed_once(paypal, ctx, env, app, httpserver):
    _, invoice = paypal
    calls = []

    def create(request):
        calls.append(request.headers["Authorization"])
        if len(calls) == 1:
            return json_answer({"error": "invalid_token", "error_description": "expired"}, 401)
        return json_answer({**fixture_json("paypal", "order_created.json"), "id": "7X1"}, 201)

    httpserver.expect_request("/v2/checkout/orders", method="POST").respond_with_handler(create)
    start_checkout(
        ctx,
        app.extensions["paylink.providers"],
        invoice,
        PaymentMethod.PAYPAL,
        f"https://pay.example/i/{invoice.link_code}",
    )
    assert len(calls) == 2


def test_amounts_are_decimal_strings_with_paypal_s_own_decimals():
    assert mapping.to_paypal_amount(Money(7550, "EUR")) == {
        "currency_code": "EUR",
        "value": "75.50",
    }
    assert mapping.to_paypal_amount(Money(1500, "JPY"))["value"] == "1500"
    assert mapping.to_paypal_amount(Money(150000, "HUF"))["value"] == "1500"
    with pytest.raises(ValidationError, match="whole units"):
        mapping.to_paypal_amount(Money(150050, "HUF"))
    assert mapping.from_paypal_amount({"currency_code": "HUF", "value": "1500"}) == Money(
        150000, "HUF"
    )


def test_an_approved_order_is_captured_by_its_webhook_and_pays_once(
    paypal, client, ctx, httpserver, run_jobs
):
    account, invoice = paypal
    seen = []
    verifier(httpserver, seen=seen)
    httpserver.expect_request(
        f"/v2/checkout/orders/{ORDER_ID}", method="GET"
    ).respond_with_response(json_answer(fixture("paypal", "order_approved.json")))
    captures = []

    def capture(request):
        captures.append(request.headers["PayPal-Request-Id"])
        return json_answer(fixture("paypal", "order_captured.json"), 201)

    httpserver.expect_request(
        f"/v2/checkout/orders/{ORDER_ID}/capture", method="POST"
    ).respond_with_handler(capture)
    assert deliver(client, account, "webhook_order_approved.json").status_code == 200
    assert current(ctx, invoice).status.value == "open"  # nothing is decided in the request
    run_jobs()
    assert captures == [f"paylink-capture-{ORDER_ID}"]
    paid = current(ctx, invoice)
    assert (paid.status.value, paid.amount_paid) == ("paid", 7550)
    # PayPal's verification got the event exactly as received, inside the envelope.
    envelope = seen[0]
    assert envelope.endswith(
        b',"webhook_event":' + fixture("paypal", "webhook_order_approved.json").strip() + b"}"
    )
    sent = json.loads(envelope)
    assert sent["webhook_id"] == "8PT5978"
    assert sent["transmission_id"] == "69cd13f0-d67a-11e5-baa3-778b53f4ae55"
    # The capture's own webhook then names the same capture: counted once.
    deliver(client, account, "webhook_capture_completed.json")
    run_jobs()
    assert current(ctx, invoice).amount_paid == 7550


def test_a_delivery_paypal_does_not_verify_is_kept_as_rejected_without_its_body(
    paypal, client, ctx, httpserver, run_jobs
):
    account, invoice = paypal
    verifier(httpserver, "FAILURE")
    assert deliver(client, account, "webhook_capture_completed.json").status_code == 200
    with ctx.db.transaction() as session:
        stored = session.query(InboxEvent).one()
        assert stored.headers["PAYPAL-TRANSMISSION-ID"] == "69cd13f0-d67a-11e5-baa3-778b53f4ae55"
    run_jobs()
    assert current(ctx, invoice).status.value == "open"
    with ctx.db.transaction() as session:
        stored = session.query(InboxEvent).one()
        assert stored.outcome.startswith("rejected: PayPal did not verify")
        assert (stored.body, stored.headers) == ("", {})  # kept only until it was checked
    assert jobs_of(ctx, "payments.process_event")[0].status.value == "done"


def test_a_forged_delivery_cannot_shadow_the_genuine_one(paypal, client, ctx, httpserver, run_jobs):
    account, invoice = paypal
    verdicts = iter(["FAILURE", "SUCCESS"])

    def handler(request):
        return json_answer({"verification_status": next(verdicts)})

    httpserver.expect_request("/v1/notifications/verify-webhook-signature").respond_with_handler(
        handler
    )
    forged = deliver(client, account, "webhook_capture_completed.json", transmission_id="forged")
    genuine = deliver(client, account, "webhook_capture_completed.json")
    assert (forged.json["duplicate"], genuine.json["duplicate"]) == (False, False)
    replay = deliver(client, account, "webhook_capture_completed.json")
    assert replay.json["duplicate"] is True
    run_jobs()
    assert current(ctx, invoice).status.value == "paid"


def test_deliveries_without_transmission_headers_are_refused(paypal, client, ctx):
    account, _ = paypal
    body = fixture("paypal", "webhook_capture_completed.json")
    response = client.post(
        f"/webhooks/paypal/{account.id}", data=body, content_type="application/json"
    )
    assert (
        response.status_code == 400
        and "PAYPAL-TRANSMISSION-ID" in response.json["error"]["message"]
    )
    with ctx.db.transaction() as session:
        assert session.query(InboxEvent).count() == 0


def test_a_refund_before_its_capture_waits_then_applies(
    paypal, client, ctx, clock, httpserver, run_jobs
):
    account, invoice = paypal
    verifier(httpserver)
    deliver(client, account, "webhook_capture_refunded.json", transmission_id="refund-1")
    run_jobs()
    (job,) = jobs_of(ctx, "payments.process_event")
    assert job.status.value == "pending" and "names no checkout" in job.last_error
    deliver(client, account, "webhook_capture_completed.json")
    run_jobs()
    clock.now = job.run_at
    run_jobs()
    settled = current(ctx, invoice)
    assert (settled.status.value, settled.amount_paid, settled.amount_refunded) == (
        "paid",
        7550,
        2000,
    )


def test_coming_back_captures_even_when_the_webhook_did_it_first(
    paypal, client, ctx, httpserver, run_jobs
):
    _, invoice = paypal
    answers = iter(["order_approved.json", "order_captured.json"])
    httpserver.expect_request(f"/v2/checkout/orders/{ORDER_ID}", method="GET").respond_with_handler(
        lambda request: json_answer(fixture("paypal", next(answers)))
    )
    httpserver.expect_request(
        f"/v2/checkout/orders/{ORDER_ID}/capture", method="POST"
    ).respond_with_response(json_answer(fixture("paypal", "order_already_captured.json"), 422))
    page = client.get(f"/i/{invoice.link_code}/return?token={ORDER_ID}&PayerID=QYR5Z8XDVJNXQ")
    assert page.status_code == 200 and current(ctx, invoice).status.value == "open"
    client.get(f"/i/{invoice.link_code}/return")  # a refresh asks no second time
    assert len(jobs_of(ctx, "payments.settle_checkout")) == 1
    run_jobs()
    assert current(ctx, invoice).status.value == "paid"
    with ctx.db.transaction() as session:
        assert session.query(Checkout).one().payment_reference == CAPTURE_ID


def test_a_declined_funding_source_is_a_failed_attempt_the_customer_can_retry(
    paypal, client, ctx, httpserver, run_jobs
):
    _, invoice = paypal
    httpserver.expect_request(
        f"/v2/checkout/orders/{ORDER_ID}", method="GET"
    ).respond_with_response(json_answer(fixture("paypal", "order_approved.json")))
    httpserver.expect_request(
        f"/v2/checkout/orders/{ORDER_ID}/capture", method="POST"
    ).respond_with_response(json_answer(fixture("paypal", "instrument_declined.json"), 422))
    client.get(f"/i/{invoice.link_code}/return")
    run_jobs()
    assert current(ctx, invoice).status.value == "open"
    page = client.get(f"/i/{invoice.link_code}/return")
    assert "Vous pouvez réessayer" in page.get_data(as_text=True)


def test_credentials_are_checked(env):
    from core.payments.paypal import PayPalProvider

    with pytest.raises(ValidationError, match="webhook_id"):
        PayPalProvider({"client_id": "a", "client_secret": "b"}, env)


def choose_paypal_answered_with(ctx, app, client, shop, fake, httpserver, approval_url):
    """The customer chooses PayPal, whose order names `approval_url` as its approval page."""
    app.extensions["paylink.providers"] = fake
    configure_payment_account(ctx, fake, shop.id, "paypal", CREDENTIALS)
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    created = fixture_json("paypal", "order_created.json")
    created["links"][1]["href"] = approval_url
    httpserver.expect_request("/v1/oauth2/token").respond_with_response(
        json_answer(fixture("paypal", "oauth_token.json"))
    )
    httpserver.expect_request("/v2/checkout/orders").respond_with_response(json_answer(created))
    html = client.get(f"/i/{invoice.link_code}").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    return client.post(f"/i/{invoice.link_code}/pay", data={"token": token, "method": "paypal"})


def test_a_checkout_url_on_another_site_is_never_followed(ctx, env, shop, app, client, httpserver):
    fake = use_fake_apis(app, env, httpserver.url_for("/"))
    chosen = choose_paypal_answered_with(
        ctx,
        app,
        client,
        shop,
        fake,
        httpserver,
        "https://paypal.com.evil.example/checkoutnow?token=X",
    )
    # The customer reads that the payment service failed, in words; the reason is logged.
    assert chosen.status_code == 502 and "service de paiement" in chosen.get_data(as_text=True)
    with ctx.db.transaction() as session:
        assert session.query(Checkout).count() == 0


def test_an_operator_named_origin_is_the_only_other_site_allowed(
    ctx, env, shop, app, client, httpserver
):
    """`PAYLINK_PAYPAL_CHECKOUT_ORIGIN` lets a staging or local approval page stand in."""
    from dataclasses import replace

    fake = use_fake_apis(app, env, httpserver.url_for("/"))
    staging = replace(fake, extra_checkout_origins={"paypal": "http://127.0.0.1:8999"})
    approval = "http://127.0.0.1:8999/checkoutnow?token=5O190127TN364715T"
    chosen = choose_paypal_answered_with(ctx, app, client, shop, staging, httpserver, approval)
    assert chosen.status_code == 303 and chosen.location == approval


def test_the_connection_test_asks_for_a_fresh_token(paypal, ctx, shop, app, httpserver):
    from core.services.payment_accounts import check_connection

    check_connection(ctx, app.extensions["paylink.providers"], shop.id, "paypal")
    tokens = [r for r, _ in httpserver.log if r.path == "/v1/oauth2/token"]
    assert len(tokens) == 2  # one for the order, one fresh for the test


@pytest.fixture(autouse=True)
def paypal_contract(request):
    """Every call of every test here fits PayPal's official OpenAPI files."""
    yield from checked_against(request, OpenApiContract(*PAYPAL, outside=("/v1/oauth2/token",)))
