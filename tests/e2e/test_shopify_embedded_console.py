"""The console as the Shopify admin shows it, in Chromium: opened from the app URL with a
session token, then every link followed and form sent carries a fresh token from App Bridge
(our frame script asks `shopify.idToken()`), with no cookie at all. App Bridge itself lives on
Shopify's CDN, so the browser gets a stand-in answering `idToken()` as App Bridge does."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest

from core.clock import utc_now
from core.services.accounts import connect_store
from core.services.carts import cart_delay
from core.settings import Settings
from core.web import create_app
from tests.connectors.shopify.conftest import CLIENT_SECRET
from tests.support.factories import merchant
from tests.support.fake_shopify import session_token
from tests.support.live_server import free_port, serving

SHOP = "lune.myshopify.com"


@pytest.fixture
def embedded_app(tmp_path, database_url):
    port = free_port()
    settings = Settings.from_env(
        {
            "PAYLINK_DATA_DIR": str(tmp_path),
            "PAYLINK_DATABASE_URL": database_url,
            "PAYLINK_SHOPIFY_CLIENT_ID": "client-id",
            "PAYLINK_SHOPIFY_CLIENT_SECRETS": CLIENT_SECRET,
        }
    )
    app = create_app(replace(settings, base_url=f"http://127.0.0.1:{port}"), clock=utc_now)
    ctx = app.extensions["paylink"]
    shop = merchant(ctx)
    connect_store(ctx, shop.id, "shopify", SHOP, {"access_token": "shpat_x"})
    with serving(app, port) as base_url:
        yield ctx, shop, base_url
    ctx.db.dispose()


def test_the_embedded_console_carries_session_tokens_not_cookies(browser, embedded_app):
    ctx, shop, base_url = embedded_app
    fresh = {"count": 0}

    def app_bridge(route):
        """App Bridge's stand-in: `shopify.idToken()` resolves a new token each call."""
        fresh["count"] += 1
        token = session_token(CLIENT_SECRET, SHOP, exp=int(time.time()) + 300)
        script = f"window.shopify = {{ idToken: () => Promise.resolve({json.dumps(token)}) }};"
        route.fulfill(status=200, content_type="text/javascript", body=script)

    context = browser.new_context()
    page = context.new_page()
    page.route("https://cdn.shopify.com/**", app_bridge)
    first = session_token(CLIENT_SECRET, SHOP, exp=int(time.time()) + 300)
    page.goto(
        f"{base_url}/connectors/shopify/app?shop={SHOP}&host=YWRtaW4&embedded=1&id_token={first}"
    )
    page.get_by_role("heading", name="Factures").wait_for()
    assert fresh["count"] == 1  # the page loaded App Bridge

    page.get_by_role("link", name="Réglages").click()  # our script adds a fresh token
    page.get_by_role("heading", name="Réglages").wait_for()
    assert "id_token=" in page.url
    page.get_by_role("link", name="Relances").click()
    page.get_by_role("heading", name="Relances").wait_for()
    assert "id_token=" in page.url and "host=YWRtaW4" in page.url
    page.get_by_label("Délai avant relance (minutes)").fill("45")
    page.locator("form[action$='/cart-delay'] button[type=submit]").click()
    page.get_by_text("Enregistré").wait_for()  # the redirect carried the token
    assert cart_delay(ctx, shop.id) == 45
    assert context.cookies() == []  # nothing rode on a cookie
    context.close()
