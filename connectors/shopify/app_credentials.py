"""The Paylink app's own credentials at Shopify, read by the connector from its prefixed
settings (core knows none of them): PAYLINK_SHOPIFY_CLIENT_ID and
PAYLINK_SHOPIFY_CLIENT_SECRETS (during a rotation the old and the new, comma-separated, newest
last: webhooks and session tokens signed with either are accepted, the newest signs)."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ConfigurationError
from core.settings import Settings


@dataclass(frozen=True)
class ShopifyApp:
    client_id: str
    client_secrets: tuple[str, ...]

    @property
    def newest_secret(self) -> str:
        return self.client_secrets[-1]

    @classmethod
    def of(cls, settings: Settings) -> ShopifyApp | None:
        """The app's credentials, or None when the settings name none (no Shopify then)."""
        own = settings.plugin_settings("shopify")
        secrets = tuple(s.strip() for s in own.get("client_secrets", "").split(",") if s.strip())
        if not (own.get("client_id") and secrets):
            return None
        return cls(own["client_id"], secrets)


def shopify_app(settings: Settings) -> ShopifyApp:
    """The app's credentials, for code that runs only when the connector is on."""
    app = ShopifyApp.of(settings)
    if app is None:
        raise ConfigurationError(
            "Shopify needs PAYLINK_SHOPIFY_CLIENT_ID and PAYLINK_SHOPIFY_CLIENT_SECRETS"
        )
    return app
