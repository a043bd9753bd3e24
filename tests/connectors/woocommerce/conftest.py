"""The WooCommerce connector through the real app, its stores on a fake WooCommerce at the
test's pytest-httpserver (loopback, so private stores are allowed here)."""

from dataclasses import replace

import pytest

from core.services.accounts import connect_store
from tests.core.web.conftest import app, client, ctx, env, run_jobs, shop  # noqa: F401
from tests.core.web.conftest import settings as web_settings
from tests.support.fake_woocommerce import KEY, SECRET, FakeWooCommerce

WEBHOOK_SECRET = "s3cr3tW3bh00kS3cr3tW3bh00kS3cr3tW3bh00kAbCdEf12"


@pytest.fixture
def settings(database_url, tmp_path):
    return replace(web_settings.__wrapped__(database_url, tmp_path), allow_private_stores=True)


@pytest.fixture
def woo(httpserver):
    return FakeWooCommerce(httpserver)


@pytest.fixture
def store(ctx, shop, httpserver):  # noqa: F811 (ctx and shop are the fixtures above)
    url = httpserver.url_for("").rstrip("/")
    return connect_store(
        ctx,
        shop.id,
        "woocommerce",
        url.split("://", 1)[1],
        {
            "store_url": url,
            "consumer_key": KEY,
            "consumer_secret": SECRET,
            "webhook_secret": WEBHOOK_SECRET,
        },
    )
