"""Activating the Paylink integration in Magento: the install page gives the merchant a callback
URL signed for their account and the identity link; Magento's activation POST (form-encoded) is
answered by the token exchange at once (a fake that verifies each OAuth signature itself and
refuses a replayed nonce), the four credentials kept encrypted; the identity link sends the
signed-in merchant back to Magento, only on their own store."""

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from core.services.store_secrets import store_credentials
from core.storage.models import Job, Store
from tests.support.console import sign_in
from tests.support.fake_magento import (
    ACCESS_SECRET,
    ACCESS_TOKEN,
    CONSUMER_KEY,
    CONSUMER_SECRET,
    VERIFIER,
)


@pytest.fixture
def signed_in(client, ctx, shop):
    return sign_in(client, ctx, shop.id)


def stores(ctx):
    with ctx.db.transaction() as session:
        return list(session.scalars(select(Store)))


def callback_path(signed_in, store_url):
    page = signed_in.get("/connectors/magento/install", query_string={"store_url": store_url})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    found = re.search(r'id="callback" class="copy" readonly value="([^"]+)"', text)
    assert found and 'value="https://pay.example/connectors/magento/identity"' in text
    return urlsplit(found.group(1)).path


def activation(store_url, **changes):
    form = {
        "oauth_consumer_key": CONSUMER_KEY,
        "oauth_consumer_secret": CONSUMER_SECRET,
        "store_base_url": f"{store_url}/",
        "oauth_verifier": VERIFIER,
    }
    form.update(changes)
    return form


def test_the_console_offers_to_connect_a_magento_store(signed_in):
    page = signed_in.get("/console/stores").get_data(as_text=True)
    assert "Connecter une boutique Magento" in page
    assert 'action="/connectors/magento/install"' in page


def test_activation_exchanges_the_tokens_and_keeps_four_credentials(
    signed_in, client, ctx, shop, httpserver, magento, run_jobs
):
    store_url = httpserver.url_for("").rstrip("/")
    path = callback_path(signed_in, store_url)
    answer = client.post(path, data=activation(store_url))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    (store,) = stores(ctx)
    assert (store.platform, store.domain, store.merchant_id) == (
        "magento",
        store_url.split("://")[1],
        shop.id,
    )
    assert store_credentials(ctx, store) == {
        "store_url": store_url,
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "access_token": ACCESS_TOKEN,
        "access_secret": ACCESS_SECRET,
    }
    assert ACCESS_SECRET not in store.credentials_ciphertext
    run_jobs()  # the setup job reads orders with the new token
    with ctx.db.transaction() as session:
        (setup,) = session.scalars(select(Job).where(Job.kind == "stores.setup")).all()
    assert setup.status.value == "done"
    assert ("GET", "orders", None) in magento.received

    back = "/admin/admin/integration/loginSuccessCallback/"
    identity = signed_in.get(
        "/connectors/magento/identity",
        query_string={"oauth_consumer_key": CONSUMER_KEY, "success_call_back": store_url + back},
    )
    assert identity.status_code == 303 and identity.location == store_url + back
    elsewhere = signed_in.get(
        "/connectors/magento/identity",
        query_string={
            "oauth_consumer_key": CONSUMER_KEY,
            "success_call_back": "https://evil.example/admin",
        },
    )
    assert elsewhere.status_code == 422


def test_a_forged_or_failed_activation_connects_nothing(
    signed_in, client, ctx, httpserver, magento
):
    store_url = httpserver.url_for("").rstrip("/")
    forged = client.post("/connectors/magento/activate/not-signed", data=activation(store_url))
    assert forged.status_code == 401
    path = callback_path(signed_in, store_url)
    wrong_secret = client.post(path, data=activation(store_url, oauth_consumer_secret="nope"))
    assert wrong_secret.status_code == 502
    assert "refused the token exchange" in wrong_secret.json["error"]["message"]
    missing = client.post(path, data=activation(store_url, oauth_verifier=""))
    assert missing.status_code == 422 and "oauth_verifier" in missing.json["error"]["message"]
    assert stores(ctx) == []


def test_a_replayed_nonce_is_refused_by_the_store(magento, httpserver):
    """The fake refuses what a real Magento refuses: the same signed request twice."""
    import requests
    from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

    client = Client(
        CONSUMER_KEY, client_secret=CONSUMER_SECRET, signature_method=SIGNATURE_HMAC_SHA256
    )
    url, headers, _ = client.sign(httpserver.url_for("/oauth/token/request"), http_method="POST")
    assert requests.post(url, headers=headers, timeout=5).status_code == 200
    assert requests.post(url, headers=headers, timeout=5).status_code == 401
