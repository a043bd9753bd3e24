import math

import pytest

from core.links import (
    LINK_CODE_BYTES,
    LINK_CODE_LENGTH,
    InvalidToken,
    TokenPurpose,
    TokenSigner,
    looks_like_link_code,
    new_link_code,
)


def test_link_codes_are_short_url_safe_and_carry_at_least_70_bits():
    codes = {new_link_code() for _ in range(5000)}
    assert len(codes) == 5000
    assert all(len(code) == LINK_CODE_LENGTH <= 12 for code in codes)
    assert all(looks_like_link_code(code) for code in codes)
    assert LINK_CODE_BYTES * 8 >= 70
    # every character of the alphabet shows up: the codes use all 64 symbols (6 bits each)
    assert len(set("".join(codes))) == 64
    assert math.log2(64) * LINK_CODE_LENGTH >= 70


@pytest.mark.parametrize("value", ["", "short", "Ab3dE5fG7h+/", "Ab3dE5fG7h12x", "../../etc/pa"])
def test_malformed_codes_are_recognised_before_any_lookup(value):
    assert not looks_like_link_code(value)


def test_tokens_round_trip_per_purpose():
    signer = TokenSigner("secret")
    token = signer.sign(TokenPurpose.UNSUBSCRIBE, {"merchant": 1, "customer": "abc"})
    assert signer.verify(TokenPurpose.UNSUBSCRIBE, token, 3600) == {
        "merchant": 1,
        "customer": "abc",
    }


def test_a_token_for_one_purpose_is_worthless_for_another():
    signer = TokenSigner("secret")
    token = signer.sign(TokenPurpose.SURVEY, {"invoice": 7})
    with pytest.raises(InvalidToken, match="not valid"):
        signer.verify(TokenPurpose.UNSUBSCRIBE, token, 3600)


def test_forged_altered_and_expired_tokens_are_refused():
    signer = TokenSigner("secret")
    token = signer.sign(TokenPurpose.OAUTH_STATE, "nonce")
    with pytest.raises(InvalidToken):
        TokenSigner("other secret").verify(TokenPurpose.OAUTH_STATE, token, 60)
    with pytest.raises(InvalidToken):
        signer.verify(TokenPurpose.OAUTH_STATE, token[:-2] + "xx", 60)
    # an age limit below the token's age (0 s here) is what an old token meets
    with pytest.raises(InvalidToken, match="expired"):
        signer.verify(TokenPurpose.OAUTH_STATE, token, -1)
