"""An early payer's coupon, made in the WooCommerce store through its REST API (the fake
checks every call's OAuth signature and keeps codes as WooCommerce does, in lower case): made
once whatever the retries, and in the customer's receipt."""

from datetime import timedelta

from sqlalchemy import select

from core.early_payer_reward import RewardKind, RewardOffer
from core.services import rewards
from core.services.invoice_queries import invoice_timeline
from core.services.store_secrets import store_ref
from core.storage.models import Invoice, Job, Message, Store
from tests.connectors.woocommerce.test_orders import deliver, pay, rows, sent
from tests.support.fake_woocommerce import woo_order


def test_an_early_payer_gets_a_coupon_made_in_the_store_once(
    app, client, ctx, shop, store, woo, run_jobs, clock
):
    rewards.set_offer(ctx, shop.id, RewardOffer(24, RewardKind.AMOUNT, 500, valid_days=60))
    deliver(client, store, woo.add(woo_order()))
    run_jobs()
    [invoice] = rows(ctx, Invoice)
    clock.advance(hours=3)
    pay(ctx, invoice)
    run_jobs()
    [body] = [b for p, b in sent(woo, "POST") if p == "/coupons"]
    assert body["discount_type"] == "fixed_cart" and body["amount"] == "5.00"
    assert body["usage_limit"] == 1 and body["usage_limit_per_user"] == 1
    assert body["date_expires_gmt"] == "2026-05-01T12:30:00"  # paid 2 March 12:30 UTC + 60 days
    [coupon] = woo.coupons.values()
    with ctx.db.transaction() as session:
        reward = rewards.reward_of(session, invoice.id)
        ref = store_ref(ctx, session.get(Store, store.id))
        receipt = session.scalars(select(Message).where(Message.kind == "receipt")).one()
    assert reward.made and coupon["code"] == reward.code.code.lower()
    assert reward.code.code in receipt.body and "5,00" in receipt.body
    # A retry (the worker died after the store made it): found by its code, not made again.
    connector = app.extensions["paylink.connectors"]["woocommerce"]
    assert connector.create_discount_code(ref, reward.code, "t") == str(coupon["id"])
    assert len(woo.coupons) == 1
    kinds = [e.kind for e in invoice_timeline(ctx, shop.id, invoice.id)]
    assert kinds.count("reward_code_created") == 1


def test_the_receipt_waits_for_a_code_the_store_is_slow_to_make(
    app, client, ctx, shop, store, woo, run_jobs, clock
):
    rewards.set_offer(ctx, shop.id, RewardOffer(24, RewardKind.PERCENT, 10))
    deliver(client, store, woo.add(woo_order()))
    run_jobs()
    [invoice] = rows(ctx, Invoice)
    woo.answer_status = [503]  # the store is busy when asked for the coupon
    pay(ctx, invoice)
    run_jobs()
    assert rows(ctx, Message)[-1].kind != "receipt"  # waiting (a minute at a time, 10 at most)
    [receipt_job] = [j for j in rows(ctx, Job) if j.idempotency_key.endswith(":receipt")]
    assert clock() < receipt_job.run_at <= clock() + timedelta(minutes=1)
    rewards.create_code(ctx, app.extensions["paylink.connectors"], invoice.id)  # the retry
    [receipt_job] = [j for j in rows(ctx, Job) if j.idempotency_key.endswith(":receipt")]
    assert receipt_job.run_at == clock()  # brought forward: the code is made
    run_jobs()
    receipt = rows(ctx, Message)[-1]
    assert (
        receipt.kind == "receipt"
        and next(iter(woo.coupons.values()))["code"].upper() in receipt.body
    )


def test_a_receipt_goes_without_the_code_after_ten_minutes(
    client, ctx, shop, store, woo, run_jobs, clock
):
    rewards.set_offer(ctx, shop.id, RewardOffer(24, RewardKind.PERCENT, 10))
    deliver(client, store, woo.add(woo_order()))
    run_jobs()
    [invoice] = rows(ctx, Invoice)
    woo.answer_status = [503] * 40  # busy for long
    pay(ctx, invoice)
    for _ in range(11):
        run_jobs()
        clock.advance(minutes=1)
    run_jobs()
    receipt = rows(ctx, Message)[-1]
    assert receipt.kind == "receipt" and "code" not in receipt.body
