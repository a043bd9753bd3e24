"""The Shopify connector through the real app: the web fixtures, with Shopify's app credentials
in the settings so the connector is built and its routes registered."""

from dataclasses import replace

import pytest

from tests.core.web.conftest import app, client, ctx, env, run_jobs, shop  # noqa: F401
from tests.core.web.conftest import settings as web_settings

CLIENT_SECRET = "shpss_0123456789abcdef0123456789abcdef"
PREVIOUS_SECRET = "shpss_previous_secret_still_valid_ok"


@pytest.fixture
def settings(database_url, tmp_path, httpserver):
    """Shopify's app credentials set, and its Admin API pointed at the test's fake shop."""
    return replace(
        web_settings.__wrapped__(database_url, tmp_path),
        environ={
            "PAYLINK_SHOPIFY_CLIENT_ID": "client-id",
            "PAYLINK_SHOPIFY_CLIENT_SECRETS": f"{PREVIOUS_SECRET},{CLIENT_SECRET}",
        },
        provider_api_bases={"shopify": httpserver.url_for("").rstrip("/")},
    )
