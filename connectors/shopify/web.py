"""Shopify's webhook endpoint: one URL for every topic. The HMAC is checked on the raw body
(401, nothing stored, when it fails); a delivery for a shop we do not serve is answered 200 and
ignored; a good one is stored once per `X-Shopify-Event-Id` with its job, and answered at once
(Shopify gives 5 s, and nothing here calls out)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, current_app, jsonify, request

from connectors.shopify.auth import valid_shop, verify_webhook
from core.errors import ValidationError
from core.services import store_events
from core.services.context import ServiceContext
from core.settings import Settings


def _triggered_at(raw: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None
    except ValueError:
        return None


def create_shopify_blueprint(settings: Settings) -> Blueprint:
    shopify = Blueprint("shopify", __name__, url_prefix="/connectors/shopify")

    @shopify.post("/webhooks")
    def webhooks() -> tuple[Response, int]:
        raw = request.get_data()
        verify_webhook(
            raw, request.headers.get("X-Shopify-Hmac-Sha256"), settings.shopify_client_secrets
        )
        ctx: ServiceContext = current_app.extensions["paylink"]
        try:
            shop = valid_shop(request.headers.get("X-Shopify-Shop-Domain", ""))
        except ValidationError:
            return jsonify({"received": True, "ignored": "no shop"}), 200
        store = store_events.active_store(ctx, "shopify", shop)
        if store is None:
            return jsonify({"received": True, "ignored": "unknown or uninstalled shop"}), 200
        key = request.headers.get("X-Shopify-Event-Id") or request.headers.get(
            "X-Shopify-Webhook-Id", ""
        )
        if not key:
            return jsonify({"received": True, "ignored": "no event id"}), 200
        stored = store_events.receive_store_event(
            ctx,
            store,
            key,
            request.headers.get("X-Shopify-Topic", ""),
            raw,
            _triggered_at(request.headers.get("X-Shopify-Triggered-At")),
        )
        return jsonify({"received": True, "duplicate": not stored}), 200

    return shopify
