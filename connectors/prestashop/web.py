"""PrestaShop's routes. PrestaShop sends nothing by itself: the Paylink module installed in the
shop does, signed with the shop's own secret.

Pairing, started by the module's "Connect" button: the module makes a Webservice key and sends
the merchant here (`/install?shop_url=…&return_url=…`); signed in to the console, the merchant
approves (a POST with its CSRF token: a link alone cannot connect a shop to someone's account);
the browser goes back to the module with a signed, expiring `paylink_state`; the module POSTs
that state and its key to `/callback` from the shop's server, and gets its signing secret in
the answer. A state is used once (its nonce is kept with the store), names the shop it was made
for, and only sends the browser back to that shop.

Events (`/events/<store id>`): the signature checked on the raw body (401 and nothing stored
when it fails or is older than five minutes), stored once per `X-Paylink-Event-Id`, answered
at once; the module resends what failed with the same id.
"""

from __future__ import annotations

import hmac
import json
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, redirect, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from connectors import signed_events
from connectors.prestashop.build import PACKAGE
from core.connector import StoreHost
from core.errors import MALFORMED_PAYLOAD, Unauthorized, ValidationError
from core.links import InvalidToken, TokenPurpose, TokenSigner
from core.settings import Settings
from core.store_urls import checked_store_url

PLATFORM = "prestashop"
#: How long the merchant has between approving in Paylink and the module's callback.
PAIRING_MAX_AGE = 3600
WEBSERVICE_KEY_LENGTH = 32
#: A callback that is not JSON of the documented shape, or whose state Paylink did not sign.
UNANSWERED_PAIRING: tuple[type[Exception], ...] = (*MALFORMED_PAYLOAD, InvalidToken)


def shop_domain(shop_url: str) -> str:
    """A shop's name in Paylink: its address without the scheme (a shop may live in a path)."""
    return shop_url.split("://", 1)[1]


def events_url(settings: Settings, store_id: int) -> str:
    return f"{settings.base_url}/connectors/prestashop/events/{store_id}"


def _same_origin(url: str, shop_url: str) -> bool:
    """Whether the module's return address is on the shop itself (no open redirect)."""
    target, shop = urlsplit(url), urlsplit(shop_url)
    return (target.scheme, target.netloc.lower()) == (shop.scheme, shop.netloc.lower())


def create_prestashop_blueprint(settings: Settings, host: StoreHost) -> Blueprint:
    shop_bp = Blueprint(
        "prestashop", __name__, url_prefix="/connectors/prestashop", template_folder="templates"
    )
    signer = TokenSigner(settings.secret_key, host.clock)

    def asked_shop() -> tuple[str, str | None]:
        shop_url = checked_store_url(
            request.values.get("shop_url", ""), settings.allow_private_stores
        )
        return_url = request.values.get("return_url") or None
        if return_url is not None and not _same_origin(return_url, shop_url):
            raise ValidationError("the module's return address is not on the shop")
        return shop_url, return_url

    @shop_bp.get("/install")
    @login_required
    def install() -> Response:
        """From the module: the approval page. From the console: how to install the module."""
        shop_url, return_url = asked_shop()
        return host.render_console(
            "prestashop/install.html",
            shop_url=shop_url,
            shop=shop_domain(shop_url),
            return_url=return_url,
            module_file=PACKAGE.zip_name(),
            paylink_url=settings.base_url,
        )

    @shop_bp.post("/install")
    @login_required
    def approve() -> BaseResponse:
        host.require_form()
        shop_url, return_url = asked_shop()
        if return_url is None:
            raise ValidationError("open this page from the Paylink module in your shop")
        state = signer.sign(
            TokenPurpose.OAUTH_STATE,
            {
                "platform": PLATFORM,
                "merchant": current_user.merchant_id,
                "shop": shop_url,
                "nonce": secrets.token_hex(16),
            },
        )
        joiner = "&" if "?" in return_url else "?"
        return redirect(f"{return_url}{joiner}paylink_state={state}", code=303)

    @shop_bp.post("/callback")
    def callback() -> tuple[Response, int]:
        """The module's POST, from the shop's server: the state the merchant brought back and
        the Webservice key it made. Answers the shop's signing secret."""
        try:
            data = json.loads(request.get_data())
            state = signer.verify(TokenPurpose.OAUTH_STATE, str(data["state"]), PAIRING_MAX_AGE)
            key = str(data["webservice_key"])
            shop_url = checked_store_url(str(data["shop_url"]), settings.allow_private_stores)
        except UNANSWERED_PAIRING:
            raise Unauthorized("this pairing answers no approval given in Paylink") from None
        if state.get("platform") != PLATFORM or state.get("shop") != shop_url:
            raise Unauthorized("this pairing was approved for another shop")
        if len(key) != WEBSERVICE_KEY_LENGTH or not key.isalnum():
            raise Unauthorized("a PrestaShop Webservice key is 32 letters and digits")
        known = host.find_store(PLATFORM, shop_domain(shop_url), active_only=False)
        used = str(known.credentials.get("pairing_nonce", "")) if known else ""
        if used and hmac.compare_digest(used, str(state["nonce"])):
            raise Unauthorized("this approval was used already: connect again from the module")
        secret = signed_events.new_shop_secret()
        store = host.connect(
            int(state["merchant"]),
            PLATFORM,
            shop_domain(shop_url),
            {
                "shop_url": shop_url,
                "webservice_key": key,
                "signing_secret": secret,
                "pairing_nonce": str(state["nonce"]),
            },
        )
        return jsonify(
            {
                "signing_secret": secret,
                "events_url": events_url(settings, store.id),
                "store_id": store.id,
            }
        ), 200

    @shop_bp.post("/events/<int:store_id>")
    def events(store_id: int) -> tuple[Response, int]:
        return signed_events.receive(
            host, host.store(PLATFORM, store_id), "signing_secret", request
        )

    @shop_bp.get("/module.zip")
    def module() -> Response:
        """The module to install in the shop's back office (Modules > Upload a module)."""
        return PACKAGE.download()

    return shop_bp
