"""The Flask app factory: settings in, blueprints and extensions wired in one place.

Nothing happens at import time; `create_app` builds everything from the settings it is given,
so tests, the CLI and gunicorn (`gunicorn 'core.web:create_app()'`) each make their own app.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, redirect, request, url_for
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

from core.clock import Clock, utc_now
from core.connector import build_connectors
from core.payments.provider import ProviderEnvironment
from core.payments.sandbox.web import create_sandbox_blueprint
from core.services.context import ServiceContext
from core.services.messaging import messaging_environment
from core.settings import Settings
from core.storage.database import Database
from core.web.api import create_api_blueprint, rate_limit_key
from core.web.compression import compress_public_pages
from core.web.console import create_console_blueprint
from core.web.console.auth import init_console_auth
from core.web.console.logos import create_logos_blueprint
from core.web.errors import register_error_handlers
from core.web.json_provider import OrjsonProvider
from core.web.lookup_budget import limit_failed_lookups
from core.web.messages import create_messages_blueprint
from core.web.metrics import install_metrics
from core.web.pay import create_pay_blueprint
from core.web.rate_counts import RateCounts, limit_blueprint, rate_limit_storage
from core.web.sessions import SessionOutsidePaymentPages
from core.web.store_host import AppStoreHost
from core.web.typography import readable_phone, unbroken
from core.web.webhooks import create_webhooks_blueprint


def provider_environment(settings: Settings) -> ProviderEnvironment:
    return ProviderEnvironment(
        base_url=settings.base_url,
        secret_key=settings.secret_key,
        api_base_urls=settings.provider_api_bases,
        extra_checkout_origins=settings.provider_checkout_origins,
        disabled_providers=frozenset() if settings.sandbox_enabled else frozenset({"sandbox"}),
    )


def client_address() -> str:
    return request.remote_addr or "unknown"


def webhook_account() -> str:
    return "account:" + str((request.view_args or {}).get("account_id", "none"))


def create_app(
    settings: Settings | None = None,
    clock: Clock = utc_now,
    database: Database | None = None,
) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__, template_folder="../templates", static_folder="static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        # The payment pages' stylesheet is cached by phones for a day; pages themselves never.
        SEND_FILE_MAX_AGE_DEFAULT=86400,
        PAYLINK_SETTINGS=settings,
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Form messages come from WTForms' own catalogues, in the console user's language.
        WTF_I18N_ENABLED=False,
    )
    app.json = OrjsonProvider(app)
    app.add_template_filter(unbroken)
    app.add_template_filter(readable_phone)
    app.session_interface = SessionOutsidePaymentPages()
    db = database or Database(settings.database_url)
    ctx = ServiceContext(
        db=db, keyring=settings.keyring, clock=clock, job_max_attempts=settings.job_max_attempts
    )
    app.extensions["paylink"] = ctx
    app.extensions["paylink.providers"] = provider_environment(settings)
    app.extensions["paylink.messaging"] = messaging_environment(settings)

    register_error_handlers(app)
    compress_public_pages(app)
    if settings.trusted_proxies:
        # Behind a reverse proxy: the client's address and scheme from its X-Forwarded-*
        # headers (only as many hops as the operator says are theirs), so rate limits are per
        # customer, not per proxy.
        proxied = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxied, x_proto=proxied)  # type: ignore[method-assign]
    rate_storage = rate_limit_storage(settings.redis_url)
    api = create_api_blueprint()
    api_counts = RateCounts(rate_storage, settings.api_rate_limit, "api")
    limit_blueprint(app, api.name, api_counts, rate_limit_key, headers=True)
    app.register_blueprint(api)
    pay = create_pay_blueprint()
    lookups = RateCounts(rate_storage, settings.pay_page_rate_limit, "payment-link-lookups")
    limit_failed_lookups(pay, lookups, client_address)
    app.register_blueprint(pay)
    webhooks = create_webhooks_blueprint()
    # Per payment account (one merchant's endpoint cannot be flooded into the database) and
    # per sending address (the providers' own servers send for every merchant: a larger one).
    per_account = RateCounts(rate_storage, settings.webhook_rate_limit, "webhooks-account")
    limit_blueprint(app, webhooks.name, per_account, webhook_account)
    per_address = RateCounts(rate_storage, settings.webhook_address_rate_limit, "webhooks-address")
    limit_blueprint(app, webhooks.name, per_address, client_address)
    app.register_blueprint(webhooks)
    if settings.sandbox_enabled:
        app.register_blueprint(create_sandbox_blueprint())
    app.register_blueprint(create_messages_blueprint())
    install_metrics(app, ctx, settings.metrics_token, settings.metrics_multiprocess)
    init_console_auth(app)
    sign_ins = RateCounts(rate_storage, settings.login_rate_limit, "console-sign-in")
    app.register_blueprint(create_console_blueprint(sign_ins, client_address))
    app.register_blueprint(create_logos_blueprint(settings.data_dir))
    connectors = build_connectors(settings)
    app.extensions["paylink.connectors"] = connectors
    store_host = app.extensions["paylink.store_host"] = AppStoreHost(ctx)
    for connector in connectors.values():
        app.register_blueprint(connector.blueprint(store_host))

    @app.get("/")
    def home() -> BaseResponse:
        """The address people open first leads to the console (its sign-in when signed out)."""
        return redirect(url_for("console.home"), code=302)

    @app.get("/favicon.ico")
    def favicon() -> BaseResponse:
        """Browsers ask for it on any page without a link to an icon: ours, not a 404."""
        return redirect(url_for("static", filename="favicon.svg"), code=301)

    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness and readiness: answers only when the database does."""
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return jsonify({"status": "ok", "database": "ok"})

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
