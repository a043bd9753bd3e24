"""Connecting a shop: the authorization-code grant from the console (or from Shopify's install
request), state in a signed cookie, the callback checked (HMAC, state, shop), the code exchanged
with a fake Shopify, and the token kept encrypted with the store."""

import hashlib
import hmac
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from connectors.shopify.auth import query_message
from core.services.merchant_users import create_user
from core.services.store_secrets import store_credentials
from core.storage.models import Store
from tests.connectors.shopify.conftest import CLIENT_SECRET
from tests.support.console import sign_in
from tests.support.providers import json_answer

PASSWORD = "correct horse battery"


@pytest.fixture
def signed_in(client, ctx, shop):
    return sign_in(client, ctx, shop.id)


def signed(query: dict, clock) -> dict:
    query = {**query, "timestamp": str(int(clock().timestamp()))}
    digest = hmac.new(CLIENT_SECRET.encode(), query_message(query).encode(), hashlib.sha256)
    return {**query, "hmac": digest.hexdigest()}


def start(client):
    response = client.get("/connectors/shopify/install?shop=Lune.myshopify.com")
    assert response.status_code == 303
    target = urlsplit(response.location)
    return target, dict(parse_qsl(target.query, keep_blank_values=True))


def test_the_install_redirects_to_shopify_with_a_state(signed_in, app):
    target, query = start(signed_in)
    assert (target.scheme, target.netloc, target.path) == (
        "https",
        "lune.myshopify.com",
        "/admin/oauth/authorize",
    )
    assert query["client_id"] == "client-id"
    assert (
        query["scope"]
        == "read_orders,write_orders,write_draft_orders,read_checkouts,write_discounts"
    )
    assert query["redirect_uri"] == "https://pay.example/connectors/shopify/callback"
    assert re.fullmatch(r"[0-9a-f]{64}", query["state"]) and query["grant_options[]"] == ""


def test_the_callback_exchanges_the_code_and_keeps_the_token(
    signed_in, ctx, shop, clock, httpserver
):
    _, query = start(signed_in)
    seen = []
    httpserver.expect_oneshot_request(
        "/admin/oauth/access_token", method="POST"
    ).respond_with_handler(
        lambda request: (
            seen.append(request.get_json())
            or json_answer({"access_token": "shpat_f00d", "scope": "read_orders,write_orders"})
        )
    )
    callback = signed(
        {
            "code": "0907a61c0c8d55e99db179b68161bc00",
            "shop": "lune.myshopify.com",
            "state": query["state"],
        },
        clock,
    )
    response = signed_in.get(f"/connectors/shopify/callback?{urlencode(callback)}")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.location.endswith("/console/stores")
    assert seen == [
        {
            "client_id": "client-id",
            "client_secret": CLIENT_SECRET,
            "code": "0907a61c0c8d55e99db179b68161bc00",
        }
    ]
    with ctx.db.transaction() as session:
        store = session.query(Store).one()
    assert (store.domain, store.merchant_id, store.active) == ("lune.myshopify.com", shop.id, True)
    assert "shpat_f00d" not in store.credentials_ciphertext
    assert store_credentials(ctx, store)["access_token"] == "shpat_f00d"


@pytest.mark.parametrize("tamper", ["hmac", "state", "shop"])
def test_a_callback_that_does_not_match_is_refused(signed_in, ctx, clock, tamper):
    _, query = start(signed_in)
    callback = signed(
        {"code": "c0de", "shop": "lune.myshopify.com", "state": query["state"]}, clock
    )
    if tamper == "hmac":
        callback["hmac"] = "0" * 64
    elif tamper == "state":
        callback = signed({"code": "c0de", "shop": "lune.myshopify.com", "state": "f" * 64}, clock)
    else:
        callback = signed(
            {"code": "c0de", "shop": "other.myshopify.com", "state": query["state"]}, clock
        )
    response = signed_in.get(f"/connectors/shopify/callback?{urlencode(callback)}")
    assert response.status_code == 401
    with ctx.db.transaction() as session:
        assert session.query(Store).count() == 0


def test_signing_in_first_then_coming_back(client, ctx, shop, clock):
    install = (
        f"/connectors/shopify/install?{urlencode(signed({'shop': 'lune.myshopify.com'}, clock))}"
    )
    first = client.get(install)
    assert first.status_code == 302 and "/console/login" in first.location
    create_user(ctx, shop.id, "owner@lune.fr", "Léa", PASSWORD)
    login_page = client.get(first.location).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    back = client.post(
        first.location, data={"email": "owner@lune.fr", "password": PASSWORD, "csrf_token": token}
    )
    assert back.status_code == 303 and back.location.startswith("/connectors/shopify/install?")
    assert client.get(back.location).location.startswith(
        "https://lune.myshopify.com/admin/oauth/authorize"
    )


def test_no_open_redirect_after_signing_in(client, ctx, shop):
    create_user(ctx, shop.id, "owner@lune.fr", "Léa", PASSWORD)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        url = f"/console/login?{urlencode({'next': target})}"
        page = client.get(url).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(
            url, data={"email": "owner@lune.fr", "password": PASSWORD, "csrf_token": token}
        )
        assert response.location == "/console/dashboard", target


def test_a_shop_outside_myshopify_is_refused(signed_in):
    response = signed_in.get("/connectors/shopify/install?shop=evil.example")
    assert response.status_code == 422 and "text/html" in response.content_type
