"""Shopify's signatures: the documented query HMAC vectors, shop domains, webhook HMACs and
App Bridge session tokens."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import jwt
import pytest

from connectors.shopify.auth import (
    decode_session_token,
    query_message,
    valid_shop,
    verify_query,
    verify_webhook,
)
from core.errors import Unauthorized, ValidationError
from tests.support.fake_shopify import session_token

APP_SECRET = "shpss_0123456789abcdef0123456789abcdef"
CALLBACK = {
    "code": "0907a61c0c8d55e99db179b68161bc00",
    "shop": "some-shop.myshopify.com",
    "state": "0.6784241404160823",
    "timestamp": "1337178173",
}


def test_the_documented_callback_vectors():
    with_state = {
        **CALLBACK,
        "hmac": "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf",
    }
    verify_query(with_state, "hush")
    without_state = {k: v for k, v in CALLBACK.items() if k != "state"}
    without_state["hmac"] = "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20"
    verify_query(without_state, "hush")
    with pytest.raises(Unauthorized, match="does not match"):
        verify_query({**with_state, "shop": "other-shop.myshopify.com"}, "hush")
    with pytest.raises(Unauthorized, match="no hmac"):
        verify_query(CALLBACK, "hush")


def test_the_query_is_encoded_as_shopify_signs_it():
    assert query_message({"b": "a b", "a": "x~y&z", "hmac": "h", "ids": ["1", "2"]}) == (
        "a=x%7Ey%26z&b=a%20b&ids%5B%5D=1&ids%5B%5D=2"
    )


def test_an_old_query_is_refused_when_the_time_is_checked():
    signed = {
        **CALLBACK,
        "hmac": "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf",
    }
    with pytest.raises(Unauthorized, match="too old"):
        verify_query(signed, "hush", now=datetime(2026, 1, 1, tzinfo=UTC))
    verify_query(signed, "hush", now=datetime.fromtimestamp(1337178173 + 60, UTC))


@pytest.mark.parametrize(
    "shop",
    [
        "evil.com",
        "shop.myshopify.com.evil.com",
        "https://shop.myshopify.com",
        "shop.myshopify.com/admin",
        "user@shop.myshopify.com",
        "-shop.myshopify.com",
        "",
    ],
)
def test_only_myshopify_domains_are_shops(shop):
    with pytest.raises(ValidationError):
        valid_shop(shop)


def test_shop_domains_are_normalised():
    assert valid_shop(" Lune-Boutique.MyShopify.com ") == "lune-boutique.myshopify.com"


def test_webhook_hmac_on_the_raw_body_with_rotation():
    body = b'{"id":450789469,"total_price":"598.94"}'
    signed = base64.b64encode(hmac.new(b"new-secret", body, hashlib.sha256).digest()).decode()
    verify_webhook(body, signed, ["old-secret", "new-secret"])
    with pytest.raises(Unauthorized):
        verify_webhook(body + b" ", signed, ["new-secret"])
    with pytest.raises(Unauthorized, match="missing"):
        verify_webhook(body, None, ["new-secret"])


def token(**changes):
    return session_token(APP_SECRET, **changes)


def test_session_tokens():
    session = decode_session_token(token(), "client-id", APP_SECRET)
    assert (session.shop, session.user_id) == ("lune.myshopify.com", "42")
    for bad in (
        token(aud="another-app"),
        token(exp=int(datetime.now(UTC).timestamp()) - 60),
        token(iss="https://evil.myshopify.com/admin"),
        token(dest="https://evil.example"),
        jwt.encode({"dest": "x"}, APP_SECRET, algorithm="HS256"),
        jwt.encode({"aud": "client-id"}, "shpss_another_secret_of_32_bytes_x", algorithm="HS256"),
    ):
        with pytest.raises(Unauthorized):
            decode_session_token(bad, "client-id", APP_SECRET)
