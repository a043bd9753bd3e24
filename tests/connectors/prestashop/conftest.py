"""The PrestaShop connector through the real app: its shops on a fake Webservice at the test's
pytest-httpserver (loopback, so private shops are allowed here), events signed as the module
signs them."""

from dataclasses import replace

import pytest

from core.services.accounts import connect_store
from tests.core.web.conftest import app, client, ctx, env, run_jobs, shop  # noqa: F401
from tests.core.web.conftest import settings as web_settings
from tests.support.fake_prestashop import KEY, SHOP_SECRET, FakePrestaShop


@pytest.fixture
def settings(database_url, tmp_path):
    return replace(web_settings.__wrapped__(database_url, tmp_path), allow_private_stores=True)


@pytest.fixture
def presta(httpserver, clock):
    return FakePrestaShop(httpserver, clock=clock)


@pytest.fixture
def store(ctx, shop, httpserver):  # noqa: F811 (ctx and shop are the fixtures above)
    url = httpserver.url_for("").rstrip("/")
    return connect_store(
        ctx,
        shop.id,
        "prestashop",
        url.split("://", 1)[1],
        {
            "shop_url": url,
            "webservice_key": KEY,
            "signing_secret": SHOP_SECRET,
            "pairing_nonce": "n0",
        },
    )
