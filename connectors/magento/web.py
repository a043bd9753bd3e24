"""Magento's routes. The merchant creates an Integration in their admin (System > Extensions >
Integrations) with the two addresses Paylink's install page gives them:

- the **callback URL** (`/activate/<token>`, the token signed for that merchant): on "Activate",
  Magento POSTs the consumer key and secret, its base URL and a verifier, form-encoded; Paylink
  at once exchanges them for the access token (request token, then access token, OAuth 1.0a) and
  keeps the four credentials encrypted. A token Paylink did not sign, or a store that does not
  complete the exchange, connects nothing;
- the **identity link** (`/identity`): the merchant signs in to Paylink's console, and the
  browser goes back to Magento's `success_call_back`, only on the store just activated.

Events (`/events`): the Paylink module in the store signs them with the integration's consumer
secret (which Magento gave both sides) and names its store in `X-Paylink-Store`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, redirect, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from connectors import signed_events
from connectors.magento.build import PACKAGE
from connectors.magento.rest import exchange_tokens
from core.connector import StoreHost
from core.errors import Unauthorized, ValidationError
from core.http import store_session
from core.links import InvalidToken, TokenPurpose, TokenSigner
from core.settings import Settings
from core.store_urls import checked_store_url

PLATFORM = "magento"
#: How long the callback address on the install page stays good (the merchant may take a while
#: to create the integration).
ACTIVATION_MAX_AGE = 7 * 24 * 3600
STORE_HEADER = "X-Paylink-Store"
ACTIVATION_FIELDS = (
    "oauth_consumer_key",
    "oauth_consumer_secret",
    "store_base_url",
    "oauth_verifier",
)


def store_domain(store_url: str) -> str:
    return store_url.split("://", 1)[1]


def create_magento_blueprint(settings: Settings, host: StoreHost) -> Blueprint:
    magento = Blueprint(
        "magento", __name__, url_prefix="/connectors/magento", template_folder="templates"
    )
    signer = TokenSigner(settings.secret_key, host.clock)
    session = store_session(20.0, settings.allow_private_stores)

    @magento.get("/install")
    @login_required
    def install() -> Response:
        """The two addresses to give the Integration, and the module to install."""
        store_url = checked_store_url(
            request.args.get("store_url", ""), settings.allow_private_stores
        )
        token = signer.sign(
            TokenPurpose.OAUTH_STATE, {"platform": PLATFORM, "merchant": current_user.merchant_id}
        )
        return host.render_console(
            "magento/install.html",
            store=store_domain(store_url),
            callback_url=f"{settings.base_url}/connectors/magento/activate/{token}",
            identity_url=f"{settings.base_url}/connectors/magento/identity",
            module_file=PACKAGE.zip_name(),
            paylink_url=settings.base_url,
        )

    @magento.post("/activate/<token>")
    def activate(token: str) -> tuple[Response, int]:
        try:
            state = signer.verify(TokenPurpose.OAUTH_STATE, token, ACTIVATION_MAX_AGE)
        except InvalidToken:
            raise Unauthorized("this callback address was not made by Paylink") from None
        if state.get("platform") != PLATFORM:
            raise Unauthorized("this callback address was not made for Magento")
        missing = [name for name in ACTIVATION_FIELDS if not request.form.get(name)]
        if missing:
            raise ValidationError(f"the activation lacks {', '.join(missing)}")
        store_url = checked_store_url(request.form["store_base_url"], settings.allow_private_stores)
        credentials = exchange_tokens(
            session,
            store_url,
            request.form["oauth_consumer_key"],
            request.form["oauth_consumer_secret"],
            request.form["oauth_verifier"],
            settings.allow_private_stores,
        )
        host.connect(
            int(state["merchant"]),
            PLATFORM,
            store_domain(store_url),
            {
                "store_url": store_url,
                "consumer_key": credentials.consumer_key,
                "consumer_secret": credentials.consumer_secret,
                "access_token": credentials.access_token,
                "access_secret": credentials.access_secret,
            },
        )
        return jsonify({}), 200

    @magento.get("/identity")
    @login_required
    def identity() -> BaseResponse:
        """Signed in: back to Magento, on the store whose integration this is."""
        back = request.args.get("success_call_back", "")
        parts = urlsplit(back)
        store = host.find_store(PLATFORM, parts.netloc.lower()) if parts.netloc else None
        consumer = request.args.get("oauth_consumer_key", "")
        if (
            store is None
            or store.merchant_id != current_user.merchant_id
            or store.credentials.get("consumer_key") != consumer
            or not back.startswith(str(store.credentials["store_url"]))
        ):
            raise ValidationError("activate the integration in Magento first, then sign in here")
        return redirect(back, code=303)

    @magento.post("/events")
    def events() -> tuple[Response, int]:
        domain = request.headers.get(STORE_HEADER, "").strip().lower()
        store = host.find_store(PLATFORM, domain) if domain else None
        return signed_events.receive(host, store, "consumer_secret", request)

    @magento.get("/module.zip")
    def module() -> Response:
        """The Magento module (app/code/Paylink/Connector), for stores without Composer."""
        return PACKAGE.download()

    return magento
