"""The console inside the Shopify admin: opened from the admin with a session token, a shop new
to Paylink is installed by token exchange (against a fake Shopify checking the exchange's exact
body) and signed in without a cookie; each page may be framed only by that shop and the admin;
forms need the token instead of a CSRF cookie; a bad token is a 401; a shop sees only its own
merchant's invoices."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from connectors.shopify.oauth import ID_TOKEN, OFFLINE_TOKEN, TOKEN_EXCHANGE
from core.services import accounts, carts, invoice_creation
from core.services.accounts import connect_store
from core.services.store_secrets import store_credentials
from core.storage.models import Merchant, Store
from tests.connectors.shopify.conftest import CLIENT_SECRET
from tests.support.factories import merchant, order
from tests.support.fake_shopify import GRAPHQL, FakeShop, session_token
from tests.support.providers import json_answer
from tests.support.shopify_reference import admin_schema

FRAMED_BY = "frame-ancestors https://lune.myshopify.com https://admin.shopify.com"


@pytest.fixture
def exchanges(httpserver):
    """Shopify's token endpoint: answers a token exchange, and remembers what it was sent."""
    seen = []

    def answer(request):
        seen.append(request.get_json())
        return json_answer({"access_token": "shpat_exchanged", "scope": "read_orders"})

    httpserver.expect_request("/admin/oauth/access_token", method="POST").respond_with_handler(
        answer
    )
    return seen


def bearer(shop="lune.myshopify.com", **changes):
    return {"Authorization": f"Bearer {session_token(CLIENT_SECRET, shop, **changes)}"}


def stores(ctx):
    with ctx.db.transaction() as session:
        return list(session.scalars(select(Store)))


def test_a_new_shop_opening_the_app_is_installed_and_signed_in(client, ctx, exchanges, httpserver):
    shopify = FakeShop(admin_schema(), token="shpat_exchanged")
    httpserver.expect_request(GRAPHQL, method="POST").respond_with_handler(shopify)
    token = session_token(CLIENT_SECRET)
    opened = client.get(
        f"/connectors/shopify/app?embedded=1&host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvbHVuZQ"
        f"&shop=lune.myshopify.com&id_token={token}"
    )
    assert opened.status_code == 303
    assert exchanges == [
        {
            "client_id": "client-id",
            "client_secret": CLIENT_SECRET,
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": token,
            "subject_token_type": ID_TOKEN,
            "requested_token_type": OFFLINE_TOKEN,
        }
    ]
    (store,) = stores(ctx)
    assert store_credentials(ctx, store)["access_token"] == "shpat_exchanged"
    with ctx.db.transaction() as session:
        created = session.get(Merchant, store.merchant_id)
    # The new merchant as the shop describes itself (ShopProfile, schema-checked by the fake).
    assert [name for name, _ in shopify.received] == ["ShopProfile"]
    assert (created.name, created.currency, created.country, created.timezone) == (
        "Boutique Lune",
        "EUR",
        "FR",
        "Europe/Paris",
    )
    assert created.default_locale == "fr"
    # The console opens, signed in by the token the redirect carries: no cookie is set.
    target = urlsplit(opened.location)
    query = dict(parse_qsl(target.query))
    assert target.path == "/console/invoices" and query["host"] and query["id_token"] == token
    page = client.get(opened.location)
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert FRAMED_BY in page.headers["Content-Security-Policy"]
    assert "script-src 'self' https://cdn.shopify.com" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    assert '<meta name="shopify-api-key" content="client-id">' in html
    assert 'src="https://cdn.shopify.com/shopifycloud/app-bridge.js"' in html
    assert 'src="/connectors/shopify/static/embedded.js"' in html
    assert "console.logout" not in html and "/console/logout" not in html
    assert client.get("/connectors/shopify/static/embedded.js").status_code == 200
    # Opened again: the token is held, nothing is exchanged.
    assert client.get(f"/connectors/shopify/app?id_token={token}").status_code == 303
    assert len(exchanges) == 1


def test_a_reinstalled_shop_keeps_its_merchant(client, ctx, shop, exchanges):
    store = connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"access_token": "old"})
    accounts.disconnect_store(ctx, store.id)
    token = session_token(CLIENT_SECRET)
    assert client.get(f"/connectors/shopify/app?id_token={token}").status_code == 303
    (store,) = stores(ctx)
    assert (store.merchant_id, store.active) == (shop.id, True)
    assert store_credentials(ctx, store)["access_token"] == "shpat_exchanged"


def test_bad_tokens_are_refused(client, ctx, shop):
    connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"access_token": "shpat_x"})
    for headers in (
        bearer(aud="another-app"),
        {"Authorization": f"Bearer {session_token('shpss_not_our_secret_at_all_000000')}"},
        bearer(exp=1),
    ):
        refused = client.get("/console/invoices", headers=headers)
        assert refused.status_code == 401, headers
    # A shop that never installed Paylink signs in to nothing.
    assert client.get("/console/invoices", headers=bearer("other.myshopify.com")).status_code == 401
    assert client.get("/connectors/shopify/app").status_code == 401


def test_each_shop_sees_only_its_merchant(client, ctx, shop):
    connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"access_token": "shpat_x"})
    other = merchant(ctx, "Boutique Soleil")
    connect_store(ctx, other.id, "shopify", "soleil.myshopify.com", {"access_token": "shpat_y"})
    mine, _ = invoice_creation.create_invoice(ctx, shop.id, order())
    theirs, _ = invoice_creation.create_invoice(ctx, other.id, order())
    page = client.get("/console/invoices", headers=bearer()).get_data(as_text=True)
    assert mine.number in page
    assert client.get(f"/console/invoices/{theirs.id}", headers=bearer()).status_code == 404
    soleil = client.get(f"/console/invoices/{theirs.id}", headers=bearer("soleil.myshopify.com"))
    assert soleil.status_code == 200


def test_forms_take_the_token_as_their_csrf_proof_and_redirects_carry_it(client, ctx, shop):
    connect_store(ctx, shop.id, "shopify", "lune.myshopify.com", {"access_token": "shpat_x"})
    token = session_token(CLIENT_SECRET)
    page = client.get(f"/console/reminders?id_token={token}&host=aG9zdA").get_data(as_text=True)
    assert 'name="csrf_token"' not in page  # no cookie session to hold one
    saved = client.post(
        f"/console/reminders/cart-delay?id_token={token}&host=aG9zdA", data={"minutes": "45"}
    )
    assert saved.status_code == 303 and carts.cart_delay(ctx, shop.id) == 45
    query = dict(parse_qsl(urlsplit(saved.location).query))
    assert (query["id_token"], query["host"]) == (token, "aG9zdA")
    # Without the token the same post is an ordinary console request: no CSRF token, refused.
    assert client.post("/console/reminders/cart-delay", data={"minutes": "50"}).status_code in (
        302,
        400,
    )
    assert carts.cart_delay(ctx, shop.id) == 45
    preview = client.post(
        "/console/templates/preview", json={"text": "Bonjour {{ first_name }}"}, headers=bearer()
    )
    assert preview.status_code == 200 and preview.json["segments"] == 1


def test_the_standalone_console_still_refuses_every_frame(client):
    page = client.get("/console/login")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert not re.search(r"cdn\.shopify\.com", page.get_data(as_text=True))


def test_a_shop_that_does_not_describe_itself_still_installs(client, ctx, exchanges):
    """No Admin API answer (here: nothing serves it): the merchant gets the defaults."""
    token = session_token(CLIENT_SECRET, "soleil.myshopify.com")
    assert client.get(f"/connectors/shopify/app?id_token={token}").status_code == 303
    (store,) = stores(ctx)
    with ctx.db.transaction() as session:
        created = session.get(Merchant, store.merchant_id)
    assert (created.name, created.currency) == ("soleil", "EUR")
