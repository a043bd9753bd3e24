"""Connecting a WooCommerce store: the address checked (SSRF), the merchant sent to the store's
/wc-auth/v1/authorize with the five parameters, the keys POSTed back as raw JSON to our
callback (exactly 200; a delivery we did not ask for is refused so WooCommerce deletes the
keys), kept encrypted, then our two webhooks created on the store by a job."""

import json
import re
from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from core.errors import ValidationError
from core.services.store_secrets import store_credentials
from core.storage.models import Store
from core.store_urls import checked_store_url
from tests.support.console import sign_in
from tests.support.fake_woocommerce import KEY, SECRET

PASSWORD = "correct horse battery"


@pytest.fixture
def signed_in(client, ctx, shop):
    return sign_in(client, ctx, shop.id)


def stores(ctx):
    with ctx.db.transaction() as session:
        return list(session.scalars(select(Store)))


def authorize(client, store_url):
    answer = client.get(f"/connectors/woocommerce/install?store_url={store_url}")
    assert answer.status_code == 303, answer.get_data(as_text=True)
    target = urlsplit(answer.location)
    return target, dict(parse_qsl(target.query))


def keys_for(state, **changes):
    return json.dumps(
        {
            "key_id": 1,
            "user_id": state,
            "consumer_key": KEY,
            "consumer_secret": SECRET,
            "key_permissions": "read_write",
            **changes,
        }
    ).encode()


def test_the_console_offers_to_connect_a_woocommerce_store(signed_in):
    page = signed_in.get("/console/stores").get_data(as_text=True)
    assert "Connecter une boutique WooCommerce" in page
    assert 'action="/connectors/woocommerce/install"' in page and 'name="store_url"' in page


def test_install_callback_and_webhooks(signed_in, client, ctx, shop, httpserver, woo, run_jobs):
    store_url = httpserver.url_for("").rstrip("/")
    target, query = authorize(signed_in, store_url)
    assert f"{target.scheme}://{target.netloc}" == store_url
    assert target.path == "/wc-auth/v1/authorize"
    assert (query["app_name"], query["scope"]) == ("Paylink", "read_write")
    assert query["callback_url"] == "https://pay.example/connectors/woocommerce/callback"
    assert query["return_url"] == "https://pay.example/connectors/woocommerce/installed"

    # The store's server POSTs the keys (raw JSON, its blog charset), and must get exactly 200.
    answer = client.post(
        "/connectors/woocommerce/callback",
        data=keys_for(query["user_id"]),
        headers={"Content-Type": "application/json;charset=UTF-8"},
    )
    assert answer.status_code == 200
    (store,) = stores(ctx)
    assert (store.platform, store.domain, store.merchant_id) == (
        "woocommerce",
        store_url.split("://")[1],
        shop.id,
    )
    assert SECRET not in store.credentials_ciphertext
    keys = store_credentials(ctx, store)
    assert (keys["consumer_key"], keys["consumer_secret"]) == (KEY, SECRET)
    assert re.fullmatch(r"[A-Za-z0-9]{48}", keys["webhook_secret"])

    run_jobs()  # the setup job creates our webhooks on the store
    hooks = sorted(woo.webhooks.values(), key=lambda h: h["topic"])
    assert [h["topic"] for h in hooks] == [
        "order.created",
        "order.deleted",
        "order.restored",
        "order.updated",
    ]
    for hook in hooks:
        assert (
            hook["delivery_url"]
            == f"https://pay.example/connectors/woocommerce/webhooks/{store.id}"
        )
        assert hook["secret"] == keys["webhook_secret"] and hook["status"] == "active"

    back = signed_in.get(f"/connectors/woocommerce/installed?success=1&user_id={query['user_id']}")
    assert back.status_code == 303 and back.location.endswith("/console/stores")
    assert "Boutique connectée" in signed_in.get(back.location).get_data(as_text=True)


def test_keys_nobody_asked_for_are_refused(client, ctx):
    forged = client.post("/connectors/woocommerce/callback", data=keys_for("forged"))
    assert forged.status_code == 401  # WooCommerce then deletes the key
    assert stores(ctx) == []


def test_read_only_keys_are_refused(signed_in, client, httpserver):
    _, query = authorize(signed_in, httpserver.url_for("").rstrip("/"))
    refused = client.post(
        "/connectors/woocommerce/callback", data=keys_for(query["user_id"], key_permissions="read")
    )
    assert refused.status_code == 401


def test_store_addresses_are_checked_before_any_request(settings, clock, database, shop, ctx):
    """With private stores not allowed (the default), the install sends nobody anywhere."""
    from core.web import create_app

    strict = create_app(
        replace(settings, allow_private_stores=False), clock=clock, database=database
    )
    browser = sign_in(strict.test_client(), ctx, shop.id)
    for bad in ("http://127.0.0.1:8080", "http://169.254.169.254", "https://u:p@93.184.216.34"):
        refused = browser.get(f"/connectors/woocommerce/install?store_url={bad}")
        assert refused.status_code == 422 and "Location" not in refused.headers, bad
    assert "no user name or password" in refused.get_data(as_text=True)  # the reason, shown


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("ftp://shop.example", "https://"),
        ("https://user:pass@93.184.216.34", "user name or password"),
        ("https://93.184.216.34/?x=1", "not a store address"),
        ("http://127.0.0.1", "private"),
        ("http://[::1]:8000", "private"),
        ("http://169.254.169.254/latest", "private"),
        ("http://10.0.0.7", "private"),
        ("http://localhost:8000", "private"),
    ],
)
def test_store_urls_refused_with_their_reason(raw, reason):
    with pytest.raises(ValidationError, match=re.escape(reason)):
        checked_store_url(raw)


def test_store_urls_are_normalised():
    assert checked_store_url("HTTPS://93.184.216.34/Shop/") == "https://93.184.216.34/Shop"
    assert checked_store_url("93.184.216.34") == "https://93.184.216.34"
    assert (
        checked_store_url("http://127.0.0.1:8080/", allow_private=True) == "http://127.0.0.1:8080"
    )


def test_keys_travel_by_basic_auth_over_https_and_oauth_over_http():
    import base64

    import requests

    from connectors.woocommerce.rest import WooCommerceApi

    secure = WooCommerceApi("https://93.184.216.34", KEY, SECRET, requests.Session())
    request = secure.prepared("GET", "orders/727")
    expected = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert "oauth_" not in request.url
    plain = WooCommerceApi("http://127.0.0.1:8080", KEY, SECRET, requests.Session(), True)
    signed = plain.prepared("PUT", "orders/727", body={"set_paid": True})
    query = dict(parse_qsl(urlsplit(signed.url).query))
    assert query["oauth_consumer_key"] == KEY and query["oauth_signature_method"] == "HMAC-SHA256"
    assert "oauth_version" not in query and "Authorization" not in signed.headers
    assert signed.body == b'{"set_paid": true}'  # the body is not signed, it is sent as is


def test_the_stores_page_proposes_woocommerce_s_methods(signed_in, store):
    page = signed_in.get("/console/stores").get_data(as_text=True)
    assert ">bacs\ncheque</textarea>" in page
