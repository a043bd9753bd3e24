"""The Flask app factory: settings in, blueprints and extensions wired in one place.

Nothing happens at import time; `create_app` builds everything from the settings it is given,
so tests, the CLI and gunicorn (`gunicorn 'core.web:create_app()'`) each make their own app.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify
from flask_limiter import Limiter
from sqlalchemy import text

from core.clock import Clock, utc_now
from core.services.context import ServiceContext
from core.settings import Settings
from core.storage.database import Database
from core.web.api import create_api_blueprint, rate_limit_key
from core.web.errors import register_error_handlers


def create_app(
    settings: Settings | None = None,
    clock: Clock = utc_now,
    database: Database | None = None,
) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        PAYLINK_SETTINGS=settings,
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    db = database or Database(settings.database_url)
    ctx = ServiceContext(
        db=db, keyring=settings.keyring, clock=clock, job_max_attempts=settings.job_max_attempts
    )
    app.extensions["paylink"] = ctx

    register_error_handlers(app)
    limiter = Limiter(
        rate_limit_key,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        headers_enabled=True,
        key_prefix="paylink",
        # If Redis goes away, keep limiting per process rather than failing every request.
        in_memory_fallback_enabled=settings.redis_url is not None,
    )
    api = create_api_blueprint()
    limiter.limit(settings.api_rate_limit)(api)
    app.register_blueprint(api)

    @app.get("/healthz")
    @limiter.exempt
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
