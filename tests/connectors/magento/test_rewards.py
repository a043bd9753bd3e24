"""An early payer's coupon in Magento: a cart price rule of its own and the code as its coupon,
through REST calls the fake checks against the 2.4.9 Swagger file; made once whatever the
retries (a rule left by a dead attempt is reused), in the receipt; an integration without the
Cart Price Rules permission is told what to grant, not disconnected."""

from sqlalchemy import select

from core.early_payer_reward import RewardKind, RewardOffer
from core.services import rewards
from core.services.store_secrets import store_ref
from core.storage.models import Message, Store
from tests.connectors.magento.test_orders import placed, send
from tests.support.fake_magento import mg_order
from tests.support.store_tests import paid_early, reward_failure, rows


def order_placed(client, store, magento, clock):
    """An order placed in the store, and the store telling Paylink."""
    return lambda: (magento.add(mg_order()), send(client, store, placed(), clock))


def test_an_early_payer_gets_a_coupon_of_its_own_rule_once(
    app, client, ctx, shop, store, magento, run_jobs, clock
):
    offer = RewardOffer(24, RewardKind.PERCENT, 15, valid_days=30)
    invoice = paid_early(
        ctx, shop.id, offer, order_placed(client, store, magento, clock), run_jobs, clock
    )
    [rule] = magento.rules.values()
    [coupon] = magento.coupons.values()
    with ctx.db.transaction() as session:
        reward = rewards.reward_of(session, invoice.id)
        ref = store_ref(ctx, session.get(Store, store.id))
        receipt = session.scalars(select(Message).where(Message.kind == "receipt")).one()
    assert (rule["simple_action"], rule["discount_amount"], rule["uses_per_coupon"]) == (
        "by_percent",
        15,
        1,
    )
    assert (rule["website_ids"], rule["customer_group_ids"]) == ([1], [0, 1, 2, 3])
    assert (rule["from_date"], rule["to_date"]) == ("2026-03-02", "2026-04-01")
    assert (coupon["code"], coupon["rule_id"], coupon["usage_limit"]) == (
        reward.code.code,
        rule["rule_id"],
        1,
    )
    assert reward.made and reward.code.code in receipt.body
    connector = app.extensions["paylink.connectors"]["magento"]
    assert connector.create_discount_code(ref, reward.code, "t") == str(coupon["coupon_id"])
    # The worker died after the rule, before the coupon: the rule is found by its name.
    magento.coupons.clear()
    connector.create_discount_code(ref, reward.code, reward.code.title(invoice.number))
    assert len(magento.rules) == 1 and len(magento.coupons) == 1


def test_an_integration_without_cart_price_rules_is_told_what_to_grant(
    client, ctx, shop, store, magento, run_jobs, clock
):
    magento.denied = {"Magento_SalesRule::quote"}
    offer = RewardOffer(24, RewardKind.AMOUNT, 500)
    invoice = paid_early(
        ctx, shop.id, offer, order_placed(client, store, magento, clock), run_jobs, clock
    )
    assert "Cart Price Rules" in reward_failure(ctx, invoice)
    assert rows(ctx, Store)[0].active and magento.rules == {}
