"""Getting a shop's offline access token (https://{shop}/admin/oauth/access_token, JSON in and
out): from an authorization-code callback, or by token exchange from an App Bridge session
token when the app is opened embedded in the admin."""

from __future__ import annotations

from typing import Any

from connectors.shopify.app_credentials import shopify_app
from core.errors import Unauthorized
from core.http import http_session, send_json
from core.settings import Settings

#: What Paylink asks of a shop: read orders and checkouts, mark orders paid, tag and note them,
#: create orders from recovered checkouts (draft orders). shopify.app.toml says the same.
SCOPES = "read_orders,write_orders,write_draft_orders,read_checkouts,write_discounts"
STATE_COOKIE = "paylink_shopify_state"
STATE_MAX_AGE = 600


# OAuth 2.0 token exchange (RFC 8693) names, not secrets.
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"  # noqa: S105
OFFLINE_TOKEN = "urn:shopify:params:oauth:token-type:offline-access-token"  # noqa: S105


def _access_token(settings: Settings, shop: str, grant: dict[str, str]) -> dict[str, Any]:
    """POST https://{shop}/admin/oauth/access_token with the app's credentials and a grant;
    the offline token and the scopes Shopify granted."""
    base = settings.provider_api_bases.get("shopify") or f"https://{shop}"
    status, body = send_json(
        http_session(),
        "Shopify",
        "POST",
        f"{base}/admin/oauth/access_token",
        json={
            "client_id": shopify_app(settings).client_id,
            "client_secret": shopify_app(settings).newest_secret,
            **grant,
        },
        headers={"Accept": "application/json"},
    )
    if status != 200 or not body.get("access_token"):
        raise Unauthorized(f"Shopify did not grant a token ({status}): {body.get('error', '')}")
    return {"access_token": str(body["access_token"]), "scope": str(body.get("scope", ""))}


def exchange_code(settings: Settings, shop: str, code: str) -> dict[str, Any]:
    """The offline token for an authorization-code callback."""
    return _access_token(settings, shop, {"code": code})


def exchange_session_token(settings: Settings, shop: str, session_token: str) -> dict[str, Any]:
    """The offline token for an embedded app opened from the admin (Shopify-managed install:
    no callback, the App Bridge session token is exchanged instead). Shopify answers 400 to
    an expired or invalid session token."""
    return _access_token(
        settings,
        shop,
        {
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": session_token,
            "subject_token_type": ID_TOKEN,
            "requested_token_type": OFFLINE_TOKEN,
        },
    )
