"""The console embedded in the Shopify admin: the merchant is signed in by App Bridge session
tokens (on the first load in the `id_token` query value, then in `Authorization: Bearer` on
fetches and in the `id_token` value our frame script adds to every navigation and form), never
by a cookie, which browsers keep from a third-party frame.

A shop opening the app with no token stored (Shopify-managed install, or a reinstall) gets its
offline token by token exchange; a shop new to Paylink gets a merchant of its own.
"""

from __future__ import annotations

from flask import Request, url_for

from connectors.shopify import graphql
from connectors.shopify.app_credentials import shopify_app
from connectors.shopify.auth import SessionToken, decode_with_any_secret
from connectors.shopify.graphql import ShopifyAdmin
from connectors.shopify.oauth import exchange_session_token
from core.connector import EmbeddedSignIn, StoreHost
from core.errors import OutsideServiceFailed, Throttled, Unauthorized, ValidationError
from core.http import http_session
from core.merchant_profile import MerchantProfile
from core.settings import Settings
from core.store_changes import StoreRef

APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
TOKEN_FIELD = "id_token"  # noqa: S105 (a field name)
#: What App Bridge needs in the URL of every page of the frame, carried along by our script.
CARRIED = ("shop", "host", "embedded")
FRENCH_SPEAKING = frozenset(
    {"FR", "BE", "CH", "LU", "MC", "RE", "GP", "MQ", "GF", "YT", "NC", "PF"}
)


def session_token_of(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip() or None
    return request.values.get(TOKEN_FIELD) or None


def verified(settings: Settings, token: str) -> SessionToken:
    return decode_with_any_secret(
        token, shopify_app(settings).client_id, shopify_app(settings).client_secrets
    )


def sign_in(host: StoreHost, settings: Settings, request: Request) -> EmbeddedSignIn | None:
    token = session_token_of(request)
    if token is None:
        return None
    session = verified(settings, token)
    store = host.find_store("shopify", session.shop)
    if store is None:
        raise Unauthorized(f"{session.shop} has not finished installing Paylink: open it again")
    return EmbeddedSignIn(
        merchant_id=store.merchant_id,
        name=session.shop,
        token=token,
        token_field=TOKEN_FIELD,
        frame_ancestors=(f"https://{session.shop}", "https://admin.shopify.com"),
        scripts=(APP_BRIDGE, url_for("shopify.static", filename="embedded.js")),
        meta={"shopify-api-key": shopify_app(settings).client_id},
        carry={name: request.args[name] for name in CARRIED if request.args.get(name)},
    )


def installed_store(host: StoreHost, settings: Settings, token: str) -> StoreRef:
    """The shop's store, with an offline token: exchanged now when none is held (first open
    after a Shopify-managed install, or after an uninstall); a shop new to Paylink becomes a
    merchant of its own, named after the shop until the merchant renames it."""
    session = verified(settings, token)
    store = host.find_store("shopify", session.shop, active_only=False)
    if store is not None and store.active and store.credentials:
        return store
    granted = exchange_session_token(settings, session.shop, token)
    if store is None:
        profile = shop_profile(settings, session.shop, str(granted["access_token"]))
        return host.connect_new_merchant(profile, "shopify", session.shop, granted)
    granted = {**store.credentials, **granted}
    return host.connect(store.merchant_id, "shopify", session.shop, granted)


def shop_profile(settings: Settings, shop: str, access_token: str) -> MerchantProfile:
    """A new merchant as the shop describes itself (name, currency, country, time zone; French
    for French-speaking countries); the defaults, named after the shop, when Shopify does not
    answer or answers something unusable: the install goes on, the merchant edits it later."""
    fallback = MerchantProfile(name=shop.removesuffix(".myshopify.com"))
    admin = ShopifyAdmin(
        shop, access_token, http_session(), settings.provider_api_bases.get("shopify")
    )
    try:
        found = admin.execute(graphql.SHOP_PROFILE, {}).get("shop") or {}
        country = str((found.get("billingAddress") or {}).get("countryCodeV2") or "FR")
        return MerchantProfile(
            name=str(found.get("name") or fallback.name)[:200],
            currency=str(found.get("currencyCode") or "EUR"),
            country=country,
            timezone=str(found.get("ianaTimezone") or "Europe/Paris"),
            default_locale="fr" if country in FRENCH_SPEAKING else "en",
        ).validated()
    except (OutsideServiceFailed, Throttled, ValidationError):
        return fallback
