"""One merchant can never reach another merchant's money: provider events apply only to the
checkouts and payments of the account they arrived on, and outside references (payment, refund,
event and store-event ids) are unique per tenant, so nobody can claim or shadow another's."""

import json

import pytest
from sqlalchemy import select

from core.payments import signatures
from core.services import invoice_creation, invoicing
from core.services.accounts import connect_store
from core.services.payment_accounts import configure_payment_account
from core.services.store_events import receive_store_event
from core.storage.models import ProviderEvent as InboxEvent
from core.storage.models import StoreEvent
from tests.core.web.test_webhooks import SECRET, fixture
from tests.core.web.test_webhooks import stripe as stripe
from tests.core.web.test_webhooks import stripe_env as stripe_env
from tests.support.factories import merchant, order

ATTACKER_SECRET = "whsec_attacker_own_secret"


@pytest.fixture
def attacker(ctx, stripe_env):
    """Another merchant on the same Paylink, with a Stripe account whose secret it chose."""
    shop = merchant(ctx, "Boutique Pirate")
    account = configure_payment_account(
        ctx,
        stripe_env,
        shop.id,
        "stripe",
        {"secret_key": "sk_test_attacker", "webhook_secrets": [ATTACKER_SECRET]},
    )
    return shop, account


def post_signed(client, account, body: bytes, secret: str, clock):
    header = signatures.signature_header(body, secret, int(clock().timestamp()))
    return client.post(
        f"/webhooks/stripe/{account.id}",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )


def outcomes(ctx, account) -> list[str | None]:
    with ctx.db.transaction() as session:
        query = select(InboxEvent.outcome).where(InboxEvent.account_id == account.id)
        return list(session.scalars(query))


def forge(client, attacker, fixture_name: str, clock, run_jobs) -> None:
    """The attacker signs a real event body with its own secret, posts it to its own endpoint,
    and the worker runs."""
    _, account = attacker
    body = fixture(fixture_name)
    assert post_signed(client, account, body, ATTACKER_SECRET, clock).status_code == 200
    run_jobs()


def assert_rejected_and_untouched(ctx, attacker, victim_invoice, expected) -> None:
    invoice = invoicing.load_invoice_by_id(ctx, victim_invoice.merchant_id, victim_invoice.id)
    assert (invoice.status.value, invoice.amount_paid) == expected
    [outcome] = outcomes(ctx, attacker[1])
    assert outcome is not None and outcome.startswith("rejected: ")


def test_an_event_on_one_account_cannot_pay_another_accounts_checkout(
    client, ctx, stripe, attacker, clock, run_jobs
):
    """The attacker signs a `checkout.session.completed` naming the victim's checkout id (read
    from the 303 Location) with its own secret and posts it to its own endpoint."""
    _, victim_invoice = stripe
    forge(client, attacker, "checkout_session_completed.json", clock, run_jobs)
    assert_rejected_and_untouched(ctx, attacker, victim_invoice, ("open", 0))


def test_an_event_on_one_account_cannot_refund_another_accounts_payment(
    client, ctx, stripe, attacker, clock, run_jobs
):
    victim_account, victim_invoice = stripe
    paid = fixture("checkout_session_completed.json")
    assert post_signed(client, victim_account, paid, SECRET, clock).status_code == 200
    run_jobs()
    forge(client, attacker, "refund_updated.json", clock, run_jobs)
    assert_rejected_and_untouched(ctx, attacker, victim_invoice, ("paid", 7550))


def test_a_payment_id_claimed_first_by_another_merchant_still_pays_the_victim(
    client, ctx, stripe, attacker, stripe_env, clock, run_jobs, httpserver
):
    """The attacker pays its own checkout with a forged event carrying the victim's coming
    payment id; the victim's real event must still be recorded (payment ids are per merchant)."""
    from werkzeug import Response

    from core.payments.provider import PaymentMethod
    from core.services.checkout import start_checkout
    from tests.core.web.test_webhooks import FIXTURES

    victim_account, victim_invoice = stripe
    attacker_shop, attacker_account = attacker
    own_invoice, _ = invoice_creation.create_invoice(ctx, attacker_shop.id, order("pirate-1"))
    created = json.loads((FIXTURES / "checkout_session_created.json").read_bytes())
    created["id"] = "cs_test_attackers_own_checkout"
    httpserver.expect_oneshot_request("/v1/checkout/sessions").respond_with_response(
        Response(json.dumps(created), 200, content_type="application/json")
    )
    start_checkout(ctx, stripe_env, own_invoice, PaymentMethod.CARD, "https://pay.example/i/x")
    genuine = json.loads(fixture("checkout_session_completed.json"))
    forged = json.loads(fixture("checkout_session_completed.json"))
    forged["id"] = "evt_forged"
    forged["data"]["object"]["id"] = created["id"]
    body = json.dumps(forged).encode()
    assert post_signed(client, attacker_account, body, ATTACKER_SECRET, clock).status_code == 200
    run_jobs()
    assert invoicing.load_invoice_by_id(ctx, attacker_shop.id, own_invoice.id).amount_paid == 7550
    body = json.dumps(genuine).encode()
    assert post_signed(client, victim_account, body, SECRET, clock).status_code == 200
    run_jobs()
    invoice = invoicing.load_invoice_by_id(ctx, victim_invoice.merchant_id, victim_invoice.id)
    assert (invoice.status.value, invoice.amount_paid) == ("paid", 7550)


def test_an_event_id_seen_on_another_account_is_still_stored(client, ctx, stripe, attacker, clock):
    """Inbox keys are per account: an attacker replaying (or guessing) an event id first cannot
    make the victim's own delivery look like a replay."""
    victim_account, _ = stripe
    _, attacker_account = attacker
    body = fixture("checkout_session_completed.json")
    first = post_signed(client, attacker_account, body, ATTACKER_SECRET, clock)
    second = post_signed(client, victim_account, body, SECRET, clock)
    assert (first.json["duplicate"], second.json["duplicate"]) == (False, False)


def test_store_events_with_the_same_key_in_two_stores_are_both_kept(ctx):
    """WooCommerce event keys are (order id, modified time): two shops both have an order 42."""
    stores = [
        connect_store(ctx, merchant(ctx, name).id, "woocommerce", domain, {"secret": "s"})
        for name, domain in (("Boutique Lune", "lune.example"), ("Pirate", "pirate.example"))
    ]
    key = "order:42:2026-03-02T09:30:00"
    assert all(receive_store_event(ctx, s, key, "order.updated", b"{}", None) for s in stores)
    with ctx.db.transaction() as session:
        assert len(session.scalars(select(StoreEvent.id)).all()) == 2
