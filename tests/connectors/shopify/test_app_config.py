"""The generated shopify.app.toml parses, and names exactly what the code serves."""

import tomllib

from connectors.shopify.app_config import app_toml
from connectors.shopify.graphql import API_VERSION
from connectors.shopify.oauth import SCOPES


def test_the_app_configuration_matches_the_routes(app, settings):
    config = tomllib.loads(app_toml(settings))
    assert config["client_id"] == "client-id" and config["embedded"] is True
    assert config["access_scopes"]["scopes"] == SCOPES
    assert config["webhooks"]["api_version"] == API_VERSION
    ordinary, privacy = config["webhooks"]["subscriptions"]
    assert set(ordinary["topics"]) == {
        "orders/create",
        "checkouts/create",
        "checkouts/update",
        "app/uninstalled",
    }
    assert set(privacy["compliance_topics"]) == {
        "customers/data_request",
        "customers/redact",
        "shop/redact",
    }
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    for url in (
        config["application_url"],
        *config["auth"]["redirect_urls"],
        ordinary["uri"],
        privacy["uri"],
    ):
        assert (
            url.startswith("https://pay.example/")
            and url.removeprefix("https://pay.example") in routes
        )
