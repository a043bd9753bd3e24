"""The thank-you code's setting on the Stores page: typed as a merchant types (5,00), shown
back as typed, refused with the reason beside the field, and turned off."""

from __future__ import annotations

from core.early_payer_reward import RewardKind, RewardOffer
from core.services import rewards
from core.storage.models import Merchant
from tests.support.console import csrf_token, sign_in


def offer(ctx, merchant_id):
    with ctx.db.transaction() as session:
        return rewards.offer_of(session.get(Merchant, merchant_id))


def test_a_merchant_offers_a_fixed_amount_then_turns_it_off(client, ctx, shop):
    sign_in(client, ctx, shop.id)
    page = client.get("/console/stores").get_data(as_text=True)
    assert "Un code de remerciement pour les bons payeurs" in page
    assert '<option value="amount">Montant fixe</option>' in page
    assert "Valeur (% ou €)" in page  # the currency as people write it
    fields = {"enabled": "y", "window_hours": "24", "kind": "amount", "value": "5,00",
              "valid_days": "60", "csrf_token": csrf_token(page)}  # fmt: skip
    assert client.post("/console/stores/reward", data=fields).status_code == 303
    assert offer(ctx, shop.id) == RewardOffer(24, RewardKind.AMOUNT, 500, 60)
    page = client.get("/console/stores").get_data(as_text=True)
    assert 'value="5,00"' in page and "checked" in page
    del fields["enabled"]
    assert client.post("/console/stores/reward", data=fields).status_code == 303
    assert offer(ctx, shop.id) is None


def test_a_share_out_of_range_is_refused_beside_its_field(client, ctx, shop):
    sign_in(client, ctx, shop.id)
    token = csrf_token(client.get("/console/stores").get_data(as_text=True))
    fields = {"enabled": "y", "window_hours": "24", "kind": "percent", "value": "80",
              "valid_days": "30", "csrf_token": token}  # fmt: skip
    answer = client.post("/console/stores/reward", data=fields)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'aria-invalid="true"' in page
    assert "un pourcentage va de 1 à 50" in page and 'id="error-summary"' in page
    assert offer(ctx, shop.id) is None
