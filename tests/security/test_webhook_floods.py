"""Bodies that cannot be verified in the request (PayPal checks in the job, PayPlug is re-read)
cannot fill the database: a body larger than the provider sends is refused unread, an unknown
account is answered before anything is stored, and deliveries are limited per account."""

import json
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from core.services.payment_accounts import configure_payment_account
from core.storage.models import ProviderEvent as InboxEvent
from tests.core.payments.test_paypal import CREDENTIALS, transmission
from tests.support.providers import fixture


@pytest.fixture
def settings(settings):
    return replace(settings, webhook_rate_limit="5 per minute", max_request_bytes=1_048_576)


@pytest.fixture
def paypal_account(ctx, env, shop):
    return configure_payment_account(ctx, env, shop.id, "paypal", CREDENTIALS)


def stored(ctx) -> int:
    with ctx.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(InboxEvent)))


def post(client, url: str, body: bytes):
    return client.post(url, data=body, content_type="application/json", headers=transmission(body))


def test_a_body_larger_than_the_provider_sends_is_refused_unread(client, ctx, paypal_account):
    event = json.loads(fixture("paypal", "webhook_capture_completed.json"))
    event["padding"] = "x" * 200_000  # under the app's 1 MB, over PayPal's 64 KB
    answer = post(client, f"/webhooks/paypal/{paypal_account.id}", json.dumps(event).encode())
    assert answer.status_code == 413
    assert stored(ctx) == 0


def test_an_unknown_account_or_provider_is_answered_before_storing(client, ctx, paypal_account):
    body = fixture("paypal", "webhook_capture_completed.json")
    assert post(client, f"/webhooks/paypal/{paypal_account.id + 1}", body).status_code == 404
    assert post(client, f"/webhooks/stripe/{paypal_account.id}", body).status_code == 404
    assert post(client, f"/webhooks/nosuch/{paypal_account.id}", body).status_code == 404
    assert stored(ctx) == 0


def test_deliveries_to_one_account_are_rate_limited(client, ctx, paypal_account):
    event = json.loads(fixture("paypal", "webhook_capture_completed.json"))
    answers = []
    for n in range(7):
        event["id"] = f"WH-FLOOD-{n}"
        body = json.dumps(event).encode()
        answers.append(post(client, f"/webhooks/paypal/{paypal_account.id}", body).status_code)
    assert answers == [200] * 5 + [429] * 2
    assert stored(ctx) == 5
