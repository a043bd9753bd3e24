"""Shopify's webhook endpoint: one URL for every topic. The HMAC is checked on the raw body
(401, nothing stored, when it fails); a delivery for a shop we do not serve is answered 200 and
ignored; a good one is stored once per `X-Shopify-Event-Id` with its job, and answered at once
(Shopify gives 5 s, and nothing here calls out)."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, jsonify, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from connectors.shopify.app_credentials import shopify_app
from connectors.shopify.auth import valid_shop, verify_query, verify_webhook
from connectors.shopify.embedded import CARRIED, TOKEN_FIELD, installed_store, session_token_of
from connectors.shopify.mapping import COMPLIANCE_TOPICS
from connectors.shopify.oauth import SCOPES, STATE_COOKIE, STATE_MAX_AGE, exchange_code
from core.connector import StoreHost
from core.errors import Unauthorized, ValidationError
from core.links import InvalidToken, TokenPurpose, TokenSigner
from core.settings import Settings


def _triggered_at(raw: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")) if raw else None
    except ValueError:
        return None


def _state_signer(settings: Settings) -> TokenSigner:
    return TokenSigner(settings.secret_key)


def create_shopify_blueprint(settings: Settings, host: StoreHost) -> Blueprint:
    shopify = Blueprint(
        "shopify", __name__, url_prefix="/connectors/shopify", static_folder="static"
    )
    callback_path = "/connectors/shopify/callback"

    @shopify.get("/install")
    @login_required
    def install() -> BaseResponse:
        """Start connecting a shop to the signed-in merchant: from the console (`?shop=`), or
        from Shopify's own install request, whose query HMAC is checked first."""
        if "hmac" in request.args:
            verify_query(request.args.to_dict(), shopify_app(settings).newest_secret, host.clock())
        shop = valid_shop(request.args.get("shop", ""))
        nonce = secrets.token_hex(32)
        state = _state_signer(settings).sign(
            TokenPurpose.OAUTH_STATE,
            {"nonce": nonce, "shop": shop, "merchant": current_user.merchant_id},
        )
        query = urlencode(
            {
                "client_id": shopify_app(settings).client_id,
                "scope": SCOPES,
                "redirect_uri": f"{settings.base_url}{callback_path}",
                "state": nonce,
                "grant_options[]": "",
            },
            quote_via=quote,
        )
        response = redirect(f"https://{shop}/admin/oauth/authorize?{query}", code=303)
        response.set_cookie(
            STATE_COOKIE,
            state,
            max_age=STATE_MAX_AGE,
            path=callback_path,
            httponly=True,
            secure=settings.base_url.startswith("https://"),
            samesite="Lax",
        )
        return response

    @shopify.get("/callback")
    @login_required
    def callback() -> BaseResponse:
        """Check the callback (HMAC, our state, the same shop), exchange the code for an
        offline token, and keep it encrypted with the store."""
        query = request.args.to_dict()
        verify_query(query, shopify_app(settings).newest_secret, host.clock())
        try:
            state = _state_signer(settings).verify(
                TokenPurpose.OAUTH_STATE, request.cookies.get(STATE_COOKIE, ""), STATE_MAX_AGE
            )
        except InvalidToken:
            raise Unauthorized("this Shopify sign-in has expired: start again") from None
        shop = valid_shop(query.get("shop", ""))
        if not (
            hmac.compare_digest(str(state["nonce"]), query.get("state", ""))
            and state["shop"] == shop
            and state["merchant"] == current_user.merchant_id
        ):
            raise Unauthorized("this Shopify callback does not match the install it answers")
        token = exchange_code(settings, shop, query.get("code", ""))
        host.connect(current_user.merchant_id, "shopify", shop, token)
        response = redirect(url_for("console.stores"), code=303)
        response.delete_cookie(STATE_COOKIE, path=callback_path)
        return response

    @shopify.get("/app")
    def app_home() -> BaseResponse:
        """The app's URL in the Shopify admin (shopify.app.toml `application_url`): Shopify
        opens it in a frame with a session token; the shop's store is made ready (token
        exchange when needed) and the console opens, signed in by that token."""
        query = request.args.to_dict()
        if "hmac" in query:
            verify_query(query, shopify_app(settings).newest_secret, host.clock())
        token = session_token_of(request)
        if token is None:
            raise Unauthorized("open Paylink from your Shopify admin")
        installed_store(host, settings, token)
        carried = {name: query[name] for name in CARRIED if query.get(name)}
        carried[TOKEN_FIELD] = token
        return redirect(f"{url_for('console.invoice_list')}?{urlencode(carried)}", code=303)

    @shopify.post("/webhooks")
    def webhooks() -> tuple[Response, int]:
        raw = request.get_data()
        verify_webhook(
            raw, request.headers.get("X-Shopify-Hmac-Sha256"), shopify_app(settings).client_secrets
        )
        try:
            shop = valid_shop(request.headers.get("X-Shopify-Shop-Domain", ""))
        except ValidationError:
            return jsonify({"received": True, "ignored": "no shop"}), 200
        topic = request.headers.get("X-Shopify-Topic", "")
        store = host.find_store("shopify", shop, active_only=topic not in COMPLIANCE_TOPICS)
        if store is None:
            return jsonify({"received": True, "ignored": "unknown or uninstalled shop"}), 200
        key = request.headers.get("X-Shopify-Event-Id") or request.headers.get(
            "X-Shopify-Webhook-Id", ""
        )
        if not key:
            return jsonify({"received": True, "ignored": "no event id"}), 200
        stored = host.receive(
            store,
            key,
            topic,
            raw,
            _triggered_at(request.headers.get("X-Shopify-Triggered-At")),
        )
        return jsonify({"received": True, "duplicate": not stored}), 200

    return shopify
