"""The Magento connector through the real app: its stores on a fake Magento at the test's
pytest-httpserver (loopback, so private stores are allowed here), which checks every request's
OAuth signature and every REST call against the 2.4.9 admin Swagger file."""

from dataclasses import replace

import pytest

from core.services.accounts import connect_store
from tests.core.web.conftest import app, client, ctx, env, run_jobs, shop  # noqa: F401
from tests.core.web.conftest import settings as web_settings
from tests.support.fake_magento import FakeMagento, magento_credentials


@pytest.fixture
def settings(database_url, tmp_path):
    return replace(web_settings.__wrapped__(database_url, tmp_path), allow_private_stores=True)


@pytest.fixture
def magento(httpserver):
    fake = FakeMagento(httpserver)
    yield fake
    assert not fake.violations, "\n".join(fake.violations)


@pytest.fixture
def store(ctx, shop, httpserver):  # noqa: F811 (ctx and shop are the fixtures above)
    url = httpserver.url_for("").rstrip("/")
    return connect_store(ctx, shop.id, "magento", url.split("://", 1)[1], magento_credentials(url))
