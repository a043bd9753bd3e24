"""Signed deliveries of an unexpected shape, and forged platform sessions, end as clear answers:
a forged or expired App Bridge token is a 401 page (not a 500 from the error page signing in
again), an order body of the wrong shape is one failed event (not a job retried until dead on an
AttributeError), and every platform and provider parser lets out only `MALFORMED_PAYLOAD`."""

import contextlib
import json
from datetime import UTC, datetime

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from connectors.shopify import checkouts as shopify_checkouts
from connectors.shopify import mapping as shopify_mapping
from connectors.woocommerce import mapping as woo_mapping
from connectors.woocommerce.web import event_key as woo_event_key
from core.errors import MALFORMED_PAYLOAD
from core.payments.gocardless import mapping as gocardless
from core.payments.paypal import mapping as paypal
from core.payments.payplug import mapping as payplug
from core.payments.provider import InvalidSignature
from core.payments.stripe import mapping as stripe
from core.services.accounts import connect_store
from core.storage.models import Job, JobStatus
from tests.connectors.shopify.conftest import settings as settings
from tests.connectors.shopify.test_webhooks import deliver, rows
from tests.support.fake_shopify import session_token
from tests.support.shopify_reference import unpaid_order

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def test_a_forged_or_expired_session_token_on_the_app_page_is_a_401(client):
    for token in (
        "forged.token.here",
        session_token("shpss_0123456789abcdef0123456789abcdef", exp=1),
    ):
        answer = client.get(f"/connectors/shopify/app?shop=lune.myshopify.com&id_token={token}")
        assert answer.status_code == 401 and "session token" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "body",
    [
        b"[1, 2, 3]",
        json.dumps({**unpaid_order(), "line_items": "two candles"}).encode(),
        json.dumps({**unpaid_order(), "customer": ["Marie"]}).encode(),
    ],
)
def test_a_signed_order_of_the_wrong_shape_is_one_failed_event(client, ctx, shop, run_jobs, body):
    connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"access_token": "shpat_x"})
    assert deliver(client, body).status_code == 200
    run_jobs()
    (job,) = [j for j in rows(ctx, Job) if j.kind == "stores.process_event"]
    assert job.status == JobStatus.DEAD and job.attempts == 1, job.last_error
    assert "not usable" in job.last_error


def _only_malformed(parse, *args) -> None:
    """A parser returns, says the body is malformed, or (for a body that cannot be the
    provider's, such as an unsigned PayPlug notification) refuses it as not genuine. Any other
    exception fails the test, and hypothesis shows the smallest body raising it."""
    with contextlib.suppress(*MALFORMED_PAYLOAD, InvalidSignature):
        parse(*args)


def _shaped_like(reference: dict) -> st.SearchStrategy[dict]:
    """A real payload with one of its fields replaced by any JSON value."""
    return st.sampled_from(sorted(reference)).flatmap(
        lambda key: JSON.map(lambda value: {**reference, key: value})
    )


@hypothesis.settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.one_of(JSON, _shaped_like(unpaid_order())))
def test_shopify_order_mapping_lets_out_only_malformed_payload_errors(order):
    _only_malformed(shopify_mapping.order_invoice, order, 1, ("Paylink",))
    _only_malformed(shopify_checkouts.checkout_seen, json.dumps(order))
    _only_malformed(shopify_checkouts.checkout_invoice, json.dumps(order), 1)


@hypothesis.settings(max_examples=150, deadline=None)
@given(JSON)
def test_woocommerce_mapping_lets_out_only_malformed_payload_errors(order):
    from core.events import SourceKind

    _only_malformed(woo_mapping.order_state, order, ("bacs",))
    _only_malformed(woo_mapping.order_invoice, order, 1, SourceKind.ORDER)
    _only_malformed(woo_mapping.changed_at, order)
    woo_event_key(json.dumps(order).encode(), "order")  # never raises: unusable bodies get a key


@hypothesis.settings(max_examples=150, deadline=None)
@given(JSON)
def test_provider_parsers_let_out_only_malformed_payload_errors(event):
    raw = json.dumps(event).encode()
    _only_malformed(stripe.parse_event, raw)
    _only_malformed(stripe.event_key, raw)
    _only_malformed(paypal.webhook_events, event, NOW)
    _only_malformed(gocardless.webhook_events, raw)
    _only_malformed(gocardless.event_key, raw)
    _only_malformed(payplug.notified_resource, raw)
    _only_malformed(payplug.event_key, raw)
    _only_malformed(payplug.payment_event, event, NOW)
    _only_malformed(paypal.capture_event, event, None, NOW)
    _only_malformed(gocardless.payment_event, event, None, NOW)
    _only_malformed(gocardless.refund_event, event, NOW)
    _only_malformed(payplug.refund_event, event, NOW)
    _only_malformed(paypal.refund_event, event, NOW)
