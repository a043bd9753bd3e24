"""The Shopify connector through the real app: the web fixtures, with Shopify's app credentials
in the settings so the connector is built and its routes registered."""

from dataclasses import replace

import pytest

from tests.core.web.conftest import app, client, ctx, env, run_jobs, shop  # noqa: F401
from tests.core.web.conftest import settings as web_settings

CLIENT_SECRET = "shpss_0123456789abcdef0123456789abcdef"


@pytest.fixture
def settings(database_url, tmp_path, httpserver):
    """Shopify's app credentials set, and its Admin API pointed at the test's fake shop."""
    return replace(
        web_settings.__wrapped__(database_url, tmp_path),
        shopify_client_id="client-id",
        shopify_client_secrets=("shpss_previous_secret_still_valid_ok", CLIENT_SECRET),
        provider_api_bases={"shopify": httpserver.url_for("").rstrip("/")},
    )
