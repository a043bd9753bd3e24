"""Provider webhooks through the real endpoint: signatures on raw bodies, the inbox, replays,
out-of-order events, and payloads that are signed but unusable."""

import json
from pathlib import Path

import pytest
from werkzeug import Response

from core.payments import signatures
from core.payments.provider import PaymentMethod
from core.services import invoice_creation, invoicing
from core.services.checkout import start_checkout
from core.services.invoice_queries import invoice_timeline
from core.services.payment_accounts import configure_payment_account
from core.storage.models import Job, JobStatus
from core.storage.models import ProviderEvent as InboxEvent
from tests.support.factories import order

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "stripe"
SECRET = "whsec_test_paylink"
SESSION = "cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ"


@pytest.fixture
def stripe_env(env, httpserver):
    from dataclasses import replace

    return replace(env, api_base_urls={"stripe": httpserver.url_for("").rstrip("/")})


@pytest.fixture
def stripe(app, ctx, shop, stripe_env, httpserver):
    """A merchant paying with Stripe, one invoice, and one Stripe checkout already created."""
    app.extensions["paylink.providers"] = stripe_env
    account = configure_payment_account(
        ctx, stripe_env, shop.id, "stripe", {"secret_key": "sk_test_1", "webhook_secrets": [SECRET]}
    )
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    httpserver.expect_oneshot_request("/v1/checkout/sessions").respond_with_response(
        Response(
            (FIXTURES / "checkout_session_created.json").read_bytes(),
            200,
            content_type="application/json",
        )
    )
    start_checkout(
        ctx, stripe_env, invoice, PaymentMethod.CARD, "https://pay.example/i/" + invoice.link_code
    )
    return account, invoice


def deliver(client, account, body: bytes, clock, secret=SECRET, at=None):
    timestamp = int((at or clock()).timestamp())
    return client.post(
        f"/webhooks/stripe/{account.id}",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signatures.signature_header(body, secret, timestamp)},
    )


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def inbox_count(ctx) -> int:
    with ctx.db.transaction() as session:
        return len(session.query(InboxEvent).all())


def test_a_signed_event_is_stored_once_then_pays_the_invoice(client, ctx, stripe, clock, run_jobs):
    account, invoice = stripe
    body = fixture("checkout_session_completed.json")
    first = deliver(client, account, body, clock)
    replay = deliver(client, account, body, clock)
    assert first.status_code == replay.status_code == 200
    assert (first.json["duplicate"], replay.json["duplicate"]) == (False, True)
    assert inbox_count(ctx) == 1
    assert invoicing.load_invoice_by_id(ctx, invoice.merchant_id, invoice.id).status.value == "open"
    run_jobs()
    paid = invoicing.load_invoice_by_id(ctx, invoice.merchant_id, invoice.id)
    assert (paid.status.value, paid.amount_paid) == ("paid", 7550)


def test_bad_signatures_are_refused_and_nothing_is_stored(client, ctx, stripe, clock):
    from datetime import timedelta

    account, _ = stripe
    body = fixture("checkout_session_completed.json")
    assert deliver(client, account, body, clock, secret="whsec_wrong").status_code == 400
    stale = deliver(client, account, body, clock, at=clock() - timedelta(minutes=6))
    assert stale.status_code == 400 and "tolerance" in stale.json["error"]["message"]
    unsigned = client.post(
        f"/webhooks/stripe/{account.id}", data=body, content_type="application/json"
    )
    assert unsigned.status_code == 400
    tampered = body.replace(b"7550", b"1")
    signed_original = signatures.signature_header(body, SECRET, int(clock().timestamp()))
    assert (
        client.post(
            f"/webhooks/stripe/{account.id}",
            data=tampered,
            headers={"Stripe-Signature": signed_original},
        ).status_code
        == 400
    )
    assert client.post("/webhooks/stripe/999", data=body).status_code == 404
    assert client.post(f"/webhooks/sandbox/{account.id}", data=body).status_code == 404
    assert inbox_count(ctx) == 0


def test_events_out_of_order_settle_once_both_arrive(client, ctx, stripe, clock, run_jobs):
    account, invoice = stripe
    deliver(client, account, fixture("refund_updated.json"), clock)
    run_jobs()  # the refund names a payment we do not have yet: its job waits and retries
    with ctx.db.transaction() as session:
        job = session.query(Job).filter(Job.kind == "payments.process_event").one()
        assert job.status == JobStatus.PENDING and "names no checkout" in job.last_error
        retry_at = job.run_at
    deliver(client, account, fixture("checkout_session_completed.json"), clock)
    run_jobs()
    clock.now = retry_at
    run_jobs()
    settled = invoicing.load_invoice_by_id(ctx, invoice.merchant_id, invoice.id)
    assert (settled.status.value, settled.amount_paid, settled.amount_refunded) == (
        "paid",
        7550,
        2000,
    )


def test_pending_then_async_success(client, ctx, stripe, clock, run_jobs):
    account, invoice = stripe
    deliver(client, account, fixture("checkout_session_completed_unpaid.json"), clock)
    run_jobs()
    assert invoicing.load_invoice_by_id(ctx, invoice.merchant_id, invoice.id).status.value == "open"
    kinds = [e.kind for e in invoice_timeline(ctx, invoice.merchant_id, invoice.id)]
    assert "payment_pending" in kinds
    deliver(client, account, fixture("checkout_session_async_payment_succeeded.json"), clock)
    run_jobs()
    assert invoicing.load_invoice_by_id(ctx, invoice.merchant_id, invoice.id).status.value == "paid"


def test_a_signed_but_unusable_payload_is_kept_and_fails_in_its_job(
    client, ctx, stripe, clock, run_jobs
):
    account, _ = stripe
    body = json.dumps({"object": "event", "data": {}}).encode()
    response = deliver(client, account, body, clock)
    assert response.status_code == 200  # never a 4xx/5xx: the provider would disable us
    assert inbox_count(ctx) == 1
    run_jobs()
    with ctx.db.transaction() as session:
        job = session.query(Job).filter(Job.kind == "payments.process_event").one()
        assert job.status == JobStatus.DEAD and "unreadable stripe event" in job.last_error, (
            job.last_error
        )
