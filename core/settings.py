"""The one settings object, read from the environment once at start-up and passed in.

Nothing else in Paylink reads `os.environ`. Every variable has a safe default for a first local
run; the secret key and the encryption key are then generated once into the data directory
(mode 0600) so that restarts keep decrypting what was stored. With PAYLINK_ENV=production both
must be given explicitly instead.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path

from limits import parse_many

from core.encryption import Keyring, generate_key
from core.errors import ConfigurationError

LOCAL_SECRETS_FILE = "local-secrets.json"
ENVIRONMENTS = ("development", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Settings:
    """Every setting Paylink has; the README's configuration table documents each variable."""

    database_url: str
    data_dir: Path
    secret_key: str
    encryption_keys: str
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    environment: str = "development"
    redis_url: str | None = None
    max_request_bytes: int = 1_048_576
    #: A bank statement upload (API or console): a year of a busy shop's camt.053.
    max_statement_bytes: int = 64 * 1_048_576
    api_rate_limit: str = "300 per minute"
    job_max_attempts: int = 8
    job_lease_seconds: int = 60
    log_level: str = "INFO"
    provider_api_bases: Mapping[str, str] = field(default_factory=dict)
    provider_checkout_origins: Mapping[str, str] = field(default_factory=dict)
    pay_page_rate_limit: str = "60 per minute"
    sms_channel: str = "outbox"
    email_channel: str = "outbox"
    smtp_url: str | None = None
    email_from: str = "Paylink <paylink@localhost>"
    sms_segment_price: Decimal = Decimal("0.05")
    sms_stop_notice: str = "STOP au 36111"
    reminder_sweep_seconds: int = 30
    login_rate_limit: str = "10 per minute"
    allow_private_stores: bool = False
    store_poll_seconds: int = 300
    sandbox_enabled: bool = True
    trusted_proxies: int = 0
    webhook_rate_limit: str = "600 per minute"
    webhook_address_rate_limit: str = "6000 per minute"
    #: The bearer token Prometheus scrapes /metrics with; unset, /metrics does not exist.
    metrics_token: str | None = None
    #: PROMETHEUS_MULTIPROC_DIR is set (several gunicorn workers share their histograms).
    metrics_multiprocess: bool = False
    #: Where a worker serves its job metrics (127.0.0.1 only); 0: it does not.
    worker_metrics_port: int = 0
    #: Every PAYLINK_* variable as read at start-up: plugins (connectors, channels) read their
    #: own prefixed settings from it (`plugin_settings`), so core names none of them.
    environ: Mapping[str, str] = field(default_factory=dict)

    def plugin_settings(self, prefix: str) -> dict[str, str]:
        """One plugin's `PAYLINK_<PREFIX>_<NAME>` variables as {name in lower case: value},
        empty ones left out: `plugin_settings("twilio")["auth_token"]`."""
        start = f"PAYLINK_{prefix.upper()}_"
        return {
            name.removeprefix(start).lower(): value
            for name, value in self.environ.items()
            if name.startswith(start) and value
        }

    @cached_property
    def keyring(self) -> Keyring:
        return Keyring.parse(self.encryption_keys)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        data_dir = Path(env.get("PAYLINK_DATA_DIR", "var")).resolve()
        environment = _choice(env, "PAYLINK_ENV", ENVIRONMENTS, "development")
        secret_key = env.get("PAYLINK_SECRET_KEY")
        encryption_keys = env.get("PAYLINK_ENCRYPTION_KEYS")
        if not (secret_key and encryption_keys):
            if environment == "production":
                raise ConfigurationError(
                    "PAYLINK_ENV=production needs PAYLINK_SECRET_KEY and PAYLINK_ENCRYPTION_KEYS"
                )
            local = _local_secrets(data_dir)
            secret_key = secret_key or local["secret_key"]
            encryption_keys = encryption_keys or local["encryption_keys"]
        database_url = env.get("PAYLINK_DATABASE_URL") or f"sqlite:///{data_dir / 'paylink.db'}"
        port = _integer(env, "PAYLINK_PORT", 8000)
        settings = cls(
            database_url=database_url,
            data_dir=data_dir,
            secret_key=secret_key,
            encryption_keys=encryption_keys,
            base_url=env.get("PAYLINK_BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            host=env.get("PAYLINK_HOST", "127.0.0.1"),
            port=port,
            environment=environment,
            redis_url=env.get("PAYLINK_REDIS_URL") or None,
            max_request_bytes=_integer(env, "PAYLINK_MAX_REQUEST_BYTES", 1_048_576),
            max_statement_bytes=_integer(env, "PAYLINK_MAX_STATEMENT_BYTES", 64 * 1_048_576),
            api_rate_limit=_rate_limit(env, "PAYLINK_API_RATE_LIMIT", "300 per minute"),
            job_max_attempts=_integer(env, "PAYLINK_JOB_MAX_ATTEMPTS", 8),
            job_lease_seconds=_integer(env, "PAYLINK_JOB_LEASE_SECONDS", 60),
            log_level=_choice(env, "PAYLINK_LOG_LEVEL", LOG_LEVELS, "INFO", str.upper),
            provider_api_bases=_per_provider(env, "_API_BASE"),
            provider_checkout_origins=_per_provider(env, "_CHECKOUT_ORIGIN"),
            pay_page_rate_limit=_rate_limit(env, "PAYLINK_PAY_PAGE_RATE_LIMIT", "60 per minute"),
            sms_channel=env.get("PAYLINK_SMS_CHANNEL", "outbox"),
            email_channel=env.get("PAYLINK_EMAIL_CHANNEL", "outbox"),
            smtp_url=env.get("PAYLINK_SMTP_URL") or None,
            email_from=env.get("PAYLINK_EMAIL_FROM", "Paylink <paylink@localhost>"),
            sms_segment_price=_decimal(env, "PAYLINK_SMS_SEGMENT_PRICE", "0.05"),
            sms_stop_notice=env.get("PAYLINK_SMS_STOP_NOTICE", "STOP au 36111"),
            reminder_sweep_seconds=_integer(env, "PAYLINK_REMINDER_SWEEP_SECONDS", 30),
            login_rate_limit=_rate_limit(env, "PAYLINK_LOGIN_RATE_LIMIT", "10 per minute"),
            allow_private_stores=env.get("PAYLINK_ALLOW_PRIVATE_STORES", "") in ("1", "true"),
            store_poll_seconds=_integer(env, "PAYLINK_STORE_POLL_SECONDS", 300),
            # The sandbox pays without money: off in production unless the operator says so.
            sandbox_enabled=environment != "production"
            or env.get("PAYLINK_ENABLE_SANDBOX", "") in ("1", "true"),
            trusted_proxies=_integer(env, "PAYLINK_TRUSTED_PROXIES", 0, least=0),
            webhook_rate_limit=_rate_limit(env, "PAYLINK_WEBHOOK_RATE_LIMIT", "600 per minute"),
            webhook_address_rate_limit=_rate_limit(
                env, "PAYLINK_WEBHOOK_ADDRESS_RATE_LIMIT", "6000 per minute"
            ),
            metrics_token=env.get("PAYLINK_METRICS_TOKEN") or None,
            metrics_multiprocess=bool(env.get("PROMETHEUS_MULTIPROC_DIR")),
            worker_metrics_port=_integer(env, "PAYLINK_WORKER_METRICS_PORT", 0, least=0),
            environ={name: value for name, value in env.items() if name.startswith("PAYLINK_")},
        )
        settings.keyring  # noqa: B018  (fail at start-up, not at the first encryption)
        return settings


def _per_provider(env: Mapping[str, str], suffix: str) -> dict[str, str]:
    """PAYLINK_<PROVIDER><suffix> by provider: PAYLINK_STRIPE_API_BASE (where a provider's API
    is, so a sandbox or a local fake can stand in for it), PAYLINK_PAYPAL_CHECKOUT_ORIGIN (one
    more site its checkout may send customers to: a staging or local approval page)."""
    prefix = "PAYLINK_"
    return {
        name[len(prefix) : -len(suffix)].lower(): value.rstrip("/")
        for name, value in env.items()
        if name.startswith(prefix) and name.endswith(suffix) and value
    }


def _choice(
    env: Mapping[str, str],
    name: str,
    allowed: tuple[str, ...],
    default: str,
    normalise: Callable[[str], str] = str,
) -> str:
    value = normalise(env.get(name) or default)
    if value not in allowed:
        raise ConfigurationError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _rate_limit(env: Mapping[str, str], name: str, default: str) -> str:
    """A limit as `limits` reads it ("300 per minute", "10/second;1000/day"): a malformed
    one would silently turn the limit off, so it stops the start instead."""
    value = env.get(name) or default
    try:
        parse_many(value)
    except ValueError:
        raise ConfigurationError(
            f"{name} {value!r} is not a rate limit such as '300 per minute'"
        ) from None
    return value


def _decimal(env: Mapping[str, str], name: str, default: str) -> Decimal:
    raw = env.get(name) or default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConfigurationError(f"{name} must be a decimal number, not {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise ConfigurationError(f"{name} must be a positive decimal number")
    return value


def _integer(env: Mapping[str, str], name: str, default: int, least: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if value < least:
        raise ConfigurationError(f"{name} must be {least} or more")
    return value


def _local_secrets(data_dir: Path) -> dict[str, str]:
    """Secrets for a development install, created on first use and kept in the data directory."""
    path = data_dir / LOCAL_SECRETS_FILE
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = {
        "secret_key": secrets.token_urlsafe(32),
        "encryption_keys": f"k1:{generate_key()}",
    }
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(created, handle)
    return created
