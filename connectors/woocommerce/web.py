"""WooCommerce's routes: the key-generation install (the merchant is sent to the store's
`/wc-auth/v1/authorize`; the store POSTs the keys to our callback, which must answer exactly
200 or WooCommerce deletes them), and the webhook endpoint, one URL per store (its secret is
the store's own): the unsigned ping answered 200, a bad signature 401, anything signed stored
once and answered 200 (a failure would only get the webhook disabled)."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, jsonify, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from connectors.woocommerce.auth import is_ping, new_webhook_secret, verify_webhook
from core.connector import StoreHost
from core.errors import MALFORMED_PAYLOAD, Unauthorized
from core.links import InvalidToken, TokenPurpose, TokenSigner
from core.settings import Settings
from core.store_urls import checked_store_url

PLATFORM = "woocommerce"
#: How long the merchant has to approve Paylink in their store's admin.
INSTALL_MAX_AGE = 3600
#: A key delivery that is not JSON of the documented shape, or whose state we did not sign.
UNANSWERED_DELIVERY: tuple[type[Exception], ...] = (*MALFORMED_PAYLOAD, InvalidToken)


def store_domain(store_url: str) -> str:
    """A store's name in Paylink: its address without the scheme (a shop may live in a path)."""
    return store_url.split("://", 1)[1]


def event_key(body: bytes, resource: str) -> str:
    """One event per state of a resource: (id, `date_modified_gmt`). Not the delivery id,
    which hashes the webhook id with the current second and collides."""
    try:
        data = json.loads(body)
        return f"{resource}:{int(data['id'])}:{data.get('date_modified_gmt') or ''}"
    except MALFORMED_PAYLOAD:
        return f"unusable:{hashlib.sha256(body).hexdigest()}"


def delivery_url(settings: Settings, store_id: int) -> str:
    """Where a store's webhooks are delivered: one URL per store, as its secret is its own."""
    return f"{settings.base_url}/connectors/woocommerce/webhooks/{store_id}"


def create_woocommerce_blueprint(settings: Settings, host: StoreHost) -> Blueprint:
    woo = Blueprint("woocommerce", __name__, url_prefix="/connectors/woocommerce")
    signer = TokenSigner(settings.secret_key)

    @woo.get("/install")
    @login_required
    def install() -> BaseResponse:
        """Send the merchant to their store to approve Paylink (read/write keys)."""
        store_url = checked_store_url(
            request.args.get("store_url", ""), settings.allow_private_stores
        )
        state = signer.sign(
            TokenPurpose.OAUTH_STATE,
            {"platform": PLATFORM, "merchant": current_user.merchant_id, "store": store_url},
        )
        query = urlencode(
            {
                "app_name": "Paylink",
                "scope": "read_write",
                "user_id": state,
                "return_url": f"{settings.base_url}{url_for('woocommerce.installed')}",
                "callback_url": f"{settings.base_url}{url_for('woocommerce.callback')}",
            },
            quote_via=quote,
        )
        return redirect(f"{store_url}/wc-auth/v1/authorize?{query}", code=303)

    @woo.post("/callback")
    def callback() -> tuple[Response, int]:
        """The store's POST of the new keys (raw JSON, from the store's server). A state we
        did not sign is refused, so WooCommerce deletes keys nobody asked for."""
        try:
            data = json.loads(request.get_data())
            state = signer.verify(TokenPurpose.OAUTH_STATE, str(data["user_id"]), INSTALL_MAX_AGE)
            key, secret = str(data["consumer_key"]), str(data["consumer_secret"])
        except UNANSWERED_DELIVERY:
            raise Unauthorized("this key delivery answers no install of Paylink") from None
        if state.get("platform") != PLATFORM or data.get("key_permissions") != "read_write":
            raise Unauthorized("Paylink needs read/write keys")
        store_url = str(state["store"])
        host.connect(
            int(state["merchant"]),
            PLATFORM,
            store_domain(store_url),
            {
                "store_url": store_url,
                "consumer_key": key,
                "consumer_secret": secret,
                "key_id": data.get("key_id"),
                "webhook_secret": new_webhook_secret(),
            },
        )
        return jsonify({}), 200

    @woo.get("/installed")
    @login_required
    def installed() -> BaseResponse:
        """Where the store sends the merchant back (`success=1`, or 0 when they refused)."""
        approved = request.args.get("success") == "1"
        host.tell_merchant("store_connected" if approved else "store_refused")
        return redirect(url_for("console.stores"), code=303)

    @woo.post("/webhooks/<int:store_id>")
    def webhooks(store_id: int) -> tuple[Response, int]:
        raw = request.get_data()
        if is_ping(request.content_type, raw):
            return jsonify({"received": True, "ping": True}), 200
        store = host.store(PLATFORM, store_id)
        if store is None:
            return jsonify({"received": True, "ignored": "unknown or disconnected store"}), 200
        secret = str(store.credentials.get("webhook_secret", ""))
        verify_webhook(raw, request.headers.get("X-WC-Webhook-Signature"), secret)
        topic = request.headers.get("X-WC-Webhook-Topic", "")
        resource = request.headers.get("X-WC-Webhook-Resource") or topic.split(".", 1)[0]
        stored = host.receive(store, event_key(raw, resource), topic, raw)
        return jsonify({"received": True, "duplicate": not stored}), 200

    return woo
