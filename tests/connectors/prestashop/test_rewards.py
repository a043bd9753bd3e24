"""An early payer's voucher, made in the PrestaShop shop as a cart rule through the Webservice
(XML in, its name per language, its dates in the shop's time zone): once whatever the retries,
in the receipt; a shop whose module predates vouchers is told to update it, not disconnected."""

from sqlalchemy import select

from core.early_payer_reward import RewardKind, RewardOffer
from core.services import rewards
from core.services.store_secrets import store_ref
from core.storage.models import Message, Store
from tests.connectors.prestashop.test_orders import send, validated
from tests.support.fake_prestashop import ps_order
from tests.support.store_tests import paid_early, reward_failure, rows


def order_placed(client, store, presta, clock):
    """An order placed in the store, and the store telling Paylink."""
    return lambda: (presta.add(ps_order()), send(client, store, validated(), clock))


def test_an_early_payer_gets_a_voucher_made_in_the_shop_once(
    app, client, ctx, shop, store, presta, run_jobs, clock
):
    offer = RewardOffer(24, RewardKind.AMOUNT, 500, valid_days=30)
    invoice = paid_early(
        ctx, shop.id, offer, order_placed(client, store, presta, clock), run_jobs, clock
    )
    [rule] = presta.cart_rules.values()
    with ctx.db.transaction() as session:
        reward = rewards.reward_of(session, invoice.id)
        ref = store_ref(ctx, session.get(Store, store.id))
        receipt = session.scalars(select(Message).where(Message.kind == "receipt")).one()
    assert rule["code"] == reward.code.code and rule["name"] == {
        "1": reward.code.title(invoice.number)
    }
    assert (rule["quantity"], rule["quantity_per_user"], rule["partial_use"]) == ("1", "1", "0")
    assert (rule["reduction_amount"], rule["reduction_currency"], rule["reduction_tax"]) == (
        "5.00",
        "1",
        "1",
    )
    # Paid 2 March 11:30 UTC: 12:30 in Paris, the shop's zone, valid 30 days.
    assert (rule["date_from"], rule["date_to"]) == ("2026-03-02 12:30:00", "2026-04-01 13:30:00")
    assert reward.made and reward.code.code in receipt.body
    connector = app.extensions["paylink.connectors"]["prestashop"]
    assert connector.create_discount_code(ref, reward.code, "t") == str(rule["id"])  # a retry
    assert len(presta.cart_rules) == 1


def test_a_shop_whose_module_cannot_make_vouchers_is_told_to_update_it(
    client, ctx, shop, store, presta, run_jobs, clock
):
    presta.denied = {"cart_rules"}
    offer = RewardOffer(24, RewardKind.PERCENT, 10)
    invoice = paid_early(
        ctx, shop.id, offer, order_placed(client, store, presta, clock), run_jobs, clock
    )
    assert "update it" in reward_failure(ctx, invoice)
    assert rows(ctx, Store)[0].active  # still connected: its key works for everything else
    assert presta.cart_rules == {}
