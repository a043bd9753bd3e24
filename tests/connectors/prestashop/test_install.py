"""Pairing a PrestaShop shop: the module sends the merchant to Paylink with the shop's address
and its own return address (on the shop: no open redirect); the merchant approves with a CSRF
token (a link alone connects nothing); the browser goes back with a signed state; the module
POSTs the state and its Webservice key from the shop's server and gets its signing secret.
A state is single use, expires, and names its shop."""

import io
import json
import zipfile
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from core.services.store_secrets import store_credentials
from core.storage.models import Job, Store
from tests.support.console import csrf_token, sign_in
from tests.support.fake_prestashop import KEY


@pytest.fixture
def signed_in(client, ctx, shop):
    return sign_in(client, ctx, shop.id)


@pytest.fixture
def shop_url(httpserver):
    return httpserver.url_for("").rstrip("/")


def stores(ctx):
    with ctx.db.transaction() as session:
        return list(session.scalars(select(Store)))


def approve(client, shop_url, return_url=None):
    """The merchant's two steps in Paylink: the approval page, then its button."""
    return_url = (
        return_url or f"{shop_url}/admin-x/index.php?controller=AdminModules&configure=paylink"
    )
    page = client.get(
        "/connectors/prestashop/install",
        query_string={"shop_url": shop_url, "return_url": return_url},
    )
    assert page.status_code == 200, page.get_data(as_text=True)
    answer = client.post(
        "/connectors/prestashop/install",
        data={
            "shop_url": shop_url,
            "return_url": return_url,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    target = urlsplit(answer.location)
    return target, dict(parse_qsl(target.query))


def callback(client, state, shop_url, key=KEY):
    body = {"state": state, "shop_url": shop_url, "webservice_key": key, "module_version": "1.0.0"}
    return client.post(
        "/connectors/prestashop/callback", data=json.dumps(body), content_type="application/json"
    )


def test_the_console_offers_to_connect_a_prestashop_shop(signed_in):
    page = signed_in.get("/console/stores").get_data(as_text=True)
    assert "Connecter une boutique PrestaShop" in page
    assert 'action="/connectors/prestashop/install"' in page and 'name="shop_url"' in page


def test_from_the_console_the_page_says_how_to_install_the_module(signed_in, shop_url):
    page = signed_in.get("/connectors/prestashop/install", query_string={"shop_url": shop_url})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Téléchargez le module Paylink" in text and "https://pay.example" in text
    assert 'href="/connectors/prestashop/module.zip"' in text
    module = signed_in.get("/connectors/prestashop/module.zip")
    assert module.status_code == 200 and module.mimetype == "application/zip"
    assert "paylink/paylink.php" in zipfile.ZipFile(io.BytesIO(module.data)).namelist()


def test_pairing_connects_the_shop_and_gives_the_module_its_secret(
    signed_in, client, ctx, shop, shop_url, presta, run_jobs
):
    target, query = approve(signed_in, shop_url)
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{shop_url}/admin-x/index.php"
    assert query["configure"] == "paylink" and query["paylink_state"]

    answer = callback(client, query["paylink_state"], shop_url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    (store,) = stores(ctx)
    assert (store.platform, store.domain, store.merchant_id) == (
        "prestashop",
        shop_url.split("://")[1],
        shop.id,
    )
    secrets = store_credentials(ctx, store)
    assert secrets["webservice_key"] == KEY and secrets["shop_url"] == shop_url
    assert answer.json == {
        "signing_secret": secrets["signing_secret"],
        "events_url": f"https://pay.example/connectors/prestashop/events/{store.id}",
        "store_id": store.id,
    }
    assert len(secrets["signing_secret"]) == 64
    assert KEY not in store.credentials_ciphertext

    run_jobs()  # the setup job tries the key on the shop's configuration
    with ctx.db.transaction() as session:
        (setup,) = session.scalars(select(Job).where(Job.kind == "stores.setup")).all()
    assert setup.status.value == "done"
    assert ("GET", "configurations", None) in presta.received


def test_an_approval_is_used_once_names_its_shop_and_expires(
    signed_in, client, ctx, shop_url, clock
):
    _, query = approve(signed_in, shop_url)
    state = query["paylink_state"]
    other = callback(client, state, "http://127.0.0.1:1")
    assert other.status_code == 401 and "another shop" in other.json["error"]["message"]
    assert callback(client, state, shop_url, key="short").status_code == 401
    assert callback(client, state, shop_url).status_code == 200
    again = callback(client, state, shop_url)
    assert again.status_code == 401 and "used already" in again.json["error"]["message"]
    _, query = approve(signed_in, shop_url)
    clock.advance(hours=2)
    assert callback(client, query["paylink_state"], shop_url).status_code == 401
    assert callback(client, "forged", shop_url).status_code == 401
    assert client.post("/connectors/prestashop/callback", data=b"{").status_code == 401
    assert len(stores(ctx)) == 1


def test_approving_needs_the_console_csrf_token_and_a_return_address_on_the_shop(
    signed_in, client, ctx, shop_url
):
    sneaky = signed_in.post(
        "/connectors/prestashop/install",
        data={"shop_url": shop_url, "return_url": f"{shop_url}/admin"},
    )
    assert sneaky.status_code == 400
    elsewhere = signed_in.get(
        "/connectors/prestashop/install",
        query_string={"shop_url": shop_url, "return_url": "https://evil.example/steal"},
    )
    assert elsewhere.status_code == 422
    assert "not on the shop" in elsewhere.get_data(as_text=True)
    assert stores(ctx) == []


def test_a_merchant_not_signed_in_is_asked_to_sign_in_first(client, shop_url):
    answer = client.get("/connectors/prestashop/install", query_string={"shop_url": shop_url})
    assert answer.status_code in (302, 303) and "/console/login" in answer.location
