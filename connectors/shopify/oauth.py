"""Shopify's authorization-code grant, the HTTP half: exchanging a callback's code for an
offline access token (https://{shop}/admin/oauth/access_token, JSON in and out)."""

from __future__ import annotations

from typing import Any

from core.errors import Unauthorized
from core.http import http_session, send_json
from core.settings import Settings

#: What Paylink asks of a shop: read orders and checkouts, mark orders paid, tag and note them,
#: create orders from recovered checkouts (draft orders). shopify.app.toml says the same.
SCOPES = "read_orders,write_orders,write_draft_orders,read_checkouts"
STATE_COOKIE = "paylink_shopify_state"
STATE_MAX_AGE = 600


def exchange_code(settings: Settings, shop: str, code: str) -> dict[str, Any]:
    """The offline token for a callback's code, with the scopes Shopify granted."""
    base = settings.provider_api_bases.get("shopify") or f"https://{shop}"
    status, body = send_json(
        http_session(),
        "Shopify",
        "POST",
        f"{base}/admin/oauth/access_token",
        json={
            "client_id": settings.shopify_client_id,
            "client_secret": settings.shopify_client_secrets[-1],
            "code": code,
        },
        headers={"Accept": "application/json"},
    )
    if status != 200 or not body.get("access_token"):
        raise Unauthorized(f"Shopify did not exchange the code ({status}): {body.get('error', '')}")
    return {"access_token": str(body["access_token"]), "scope": str(body.get("scope", ""))}
