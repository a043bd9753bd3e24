"""The early payer's thank-you, pure: who earned it (the window's edge included), the offer's
limits with their reasons, and codes that cannot be guessed or misread."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.early_payer_reward import (
    CODE_ALPHABET,
    RewardKind,
    RewardOffer,
    offer_from_json,
    offer_to_json,
)
from core.errors import ValidationError

SENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@given(st.integers(1, 168), st.integers(0, 400 * 60))
def test_a_payment_within_the_window_earns_it_and_later_does_not(window, minutes):
    offer = RewardOffer(window, RewardKind.PERCENT, 10)
    paid = SENT + timedelta(minutes=minutes)
    assert offer.earned(SENT, paid) == (minutes <= window * 60)


def test_a_payment_recorded_before_the_invoice_reached_them_counts_as_early():
    assert RewardOffer(24, RewardKind.PERCENT, 10).earned(SENT, SENT - timedelta(minutes=5))


@pytest.mark.parametrize(
    ("offer", "key"),
    [
        (lambda: RewardOffer(0, RewardKind.PERCENT, 10), "reward_window"),
        (lambda: RewardOffer(169, RewardKind.PERCENT, 10), "reward_window"),
        (lambda: RewardOffer(24, RewardKind.PERCENT, 51), "reward_percent"),
        (lambda: RewardOffer(24, RewardKind.PERCENT, 0), "reward_percent"),
        (lambda: RewardOffer(24, RewardKind.AMOUNT, 0), "reward_amount"),
        (lambda: RewardOffer(24, RewardKind.AMOUNT, 500, valid_days=366), "reward_validity"),
    ],
)
def test_offers_out_of_bounds_are_refused_with_their_reason(offer, key):
    with pytest.raises(ValidationError) as refused:
        offer()
    assert refused.value.key == key


def test_codes_are_drawn_readable_dated_and_all_different():
    offer = RewardOffer(24, RewardKind.AMOUNT, 500, valid_days=45)
    codes = [offer.code_for("fr", SENT, "EUR") for _ in range(500)]
    assert len({c.code for c in codes}) == 500
    first = codes[0]
    prefix, *groups = first.code.split("-")
    assert prefix == "MERCI" and [len(g) for g in groups] == [4, 4]
    assert all(ch in CODE_ALPHABET for g in groups for ch in g)
    assert not set("01OIL") & set(CODE_ALPHABET)
    assert (first.starts_at, first.ends_at) == (SENT, SENT + timedelta(days=45))
    assert first.amount.minor == 500 and first.amount.currency == "EUR"
    assert offer.code_for("en", SENT, "EUR").code.startswith("THANKS-")
    assert offer.code_for("de", SENT, "EUR").code.startswith("THANKS-")


@given(
    st.integers(1, 168),
    st.sampled_from(list(RewardKind)),
    st.integers(1, 50),
    st.integers(1, 365),
)
def test_an_offer_survives_its_json(window, kind, value, days):
    offer = RewardOffer(window, kind, value, days)
    assert offer_from_json(offer_to_json(offer)) == offer
