"""Tenancy: merchants, their stores (credentials encrypted at rest) and API keys, and the
re-encryption of every secret under the newest key."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationError
from core.invoices import Customer
from core.merchant_profile import HEX_COLOUR, MerchantProfile
from core.services.carts import CART_BODY
from core.services.context import ServiceContext
from core.services.invoicing import customer_of, set_customer
from core.services.store_secrets import (
    STORE_CREDENTIALS,
    sealed_credentials,
    store_credentials,
)
from core.storage.models import (
    ApiKey,
    Invoice,
    Job,
    JobStatus,
    Merchant,
    Store,
    StoreCart,
    StoreEvent,
)

#: The job kind that applies a store event (core.services.store_events).
STORE_EVENT_JOB = "stores.process_event"

API_KEY_PREFIX = "pl"
LAST_USED_PRECISION = timedelta(minutes=1)
ROTATION_BATCH = 500

log = logging.getLogger(__name__)


def create_merchant(ctx: ServiceContext, profile: MerchantProfile) -> Merchant:
    with ctx.db.transaction() as session:
        return _new_merchant(ctx, session, profile)


def _new_merchant(ctx: ServiceContext, session: Session, profile: MerchantProfile) -> Merchant:
    profile = profile.validated()
    merchant = Merchant(
        name=profile.name,
        currency=profile.currency,
        country=profile.country,
        default_locale=profile.default_locale,
        timezone=profile.timezone,
        brand_color=profile.brand_color,
        logo_url=profile.logo_url,
        invoice_prefix=profile.invoice_prefix,
        payment_terms_days=profile.payment_terms_days,
        last_invoice_sequence=0,
        created_at=ctx.clock(),
    )
    session.add(merchant)
    session.flush()
    return merchant


def create_merchant_with_store(
    ctx: ServiceContext,
    profile: MerchantProfile,
    platform: str,
    domain: str,
    credentials: dict[str, Any],
) -> Store:
    """A store that installed Paylink by itself (Shopify-managed install) and its new merchant,
    together: when two first requests race, the store's unique (platform, domain) keeps one,
    the other's merchant is rolled back with it, and both get the same store."""
    try:
        with ctx.db.transaction() as session:
            merchant = _new_merchant(ctx, session, profile)
            store = Store(
                merchant_id=merchant.id,
                platform=platform,
                domain=domain,
                created_at=ctx.clock(),
                credentials_ciphertext=sealed_credentials(ctx, credentials),
                active=True,
            )
            session.add(store)
            session.flush()
            return store
    except IntegrityError:
        with ctx.db.transaction() as session:
            return session.scalars(
                select(Store).where(Store.platform == platform, Store.domain == domain)
            ).one()


# API keys ------------------------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    """What is kept of a key's secret (SHA-256: 256 random bits need no stretching)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(ctx: ServiceContext, merchant_id: int, name: str) -> tuple[ApiKey, str]:
    """A new key for the merchant; the clear key is returned once and never stored."""
    public_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with ctx.db.transaction() as session:
        if session.get(Merchant, merchant_id) is None:
            raise NotFound(f"no merchant {merchant_id}")
        key = ApiKey(
            merchant_id=merchant_id,
            public_id=public_id,
            secret_hash=hash_secret(secret),
            name=name,
            created_at=ctx.clock(),
        )
        session.add(key)
    return key, f"{API_KEY_PREFIX}_{public_id}_{secret}"


# Stores --------------------------------------------------------------------------------------


def connect_store(
    ctx: ServiceContext, merchant_id: int, platform: str, domain: str, credentials: dict[str, Any]
) -> Store:
    """Add (or reconnect) a store: its secrets replaced (encrypted before they reach the
    database), the merchant's settings kept, its webhooks to be set up for the new secrets."""
    ciphertext = sealed_credentials(ctx, credentials)
    with ctx.db.transaction() as session:
        store = session.scalars(
            select(Store).where(Store.platform == platform, Store.domain == domain)
        ).one_or_none()
        if store is not None and store.merchant_id != merchant_id:
            raise ValidationError(f"{domain} is already connected to another merchant")
        if store is None:
            store = Store(
                merchant_id=merchant_id, platform=platform, domain=domain, created_at=ctx.clock()
            )
            session.add(store)
        store.credentials_ciphertext = ciphertext
        store.active = True
        store.connected_at = ctx.clock()
        store.webhooks_ready = False
        return store


def disconnect_store(ctx: ServiceContext, store_id: int) -> None:
    """The store removed Paylink: it stops counting as connected, its token is erased, and its
    events still waiting for a worker are cancelled (pushes to it stop by themselves)."""
    with ctx.db.transaction() as session:
        store = session.get(Store, store_id)
        if store is None:
            raise NotFound(f"no store {store_id}")
        store.active = False
        store.credentials_ciphertext = None
        store.webhooks_ready = False
        waiting = session.scalars(
            select(Job).where(
                Job.merchant_id == store.merchant_id,
                Job.kind == STORE_EVENT_JOB,
                Job.status == JobStatus.PENDING,
            )
        )
        for job in waiting:
            if job.payload.get("store_id") == store_id:
                job.status, job.finished_at = JobStatus.DONE, ctx.clock()
                job.last_error = "cancelled: the store was disconnected"


def disconnect_refused_store(ctx: ServiceContext, store: Store, refused: Exception) -> str:
    """The store refuses Paylink's credentials (keys revoked, token invalid): every job for it
    would fail again, so it is disconnected (the stores page shows it; the merchant connects it
    again). Returns the outcome to record."""
    disconnect_store(ctx, store.id)
    log.warning("store %s disconnected: %s", store.domain, refused)
    return f"store disconnected: {refused}"


def set_invoice_gateways(
    ctx: ServiceContext, merchant_id: int, store_id: int, gateways: list[str]
) -> list[str]:
    """Which of the store's payment gateways get an invoice (the orders still to pay through
    them), kept with the store's settings; another merchant's store is a 404."""
    chosen = sorted({g.strip() for g in gateways if g.strip()}, key=str.lower)
    if not chosen or len(chosen) > 20 or any(len(g) > 100 for g in chosen):
        raise ValidationError(
            "name 1 to 20 payment gateways, 100 characters at most each", key="gateways"
        )
    with ctx.db.transaction() as session:
        store = session.get(Store, store_id)
        if store is None or store.merchant_id != merchant_id or not store.active:
            raise NotFound(f"no store {store_id}")
        store.invoice_gateways = chosen
    return chosen


def record_poll(ctx: ServiceContext, store_id: int, until: datetime) -> None:
    """Where a store's poll got to: the next one reads from there (with some overlap)."""
    with ctx.db.transaction() as session:
        session.execute(update(Store).where(Store.id == store_id).values(polled_until=until))


def mark_webhooks_ready(ctx: ServiceContext, store_id: int) -> None:
    with ctx.db.transaction() as session:
        session.execute(update(Store).where(Store.id == store_id).values(webhooks_ready=True))


#: What older versions kept inside a store's encrypted credentials instead of its columns.
LEGACY_SETTINGS = ("connected_at", "invoice_gateways", "polled_until", "webhooks_ready")


def move_settings_out_of_credentials(ctx: ServiceContext) -> int:
    """Move the settings an older version kept inside stores' encrypted credentials into their
    columns (run by `paylink migrate`, which holds the keys); returns how many stores moved.
    Idempotent: a store whose credentials hold secrets only is left as it is."""
    moved = 0
    with ctx.db.transaction() as session:
        for store in session.scalars(
            select(Store).where(Store.credentials_ciphertext.is_not(None)).with_for_update()
        ):
            credentials = store_credentials(ctx, store)
            legacy = {key: credentials.pop(key) for key in LEGACY_SETTINGS if key in credentials}
            if not legacy:
                continue
            if "connected_at" in legacy and store.connected_at is None:
                store.connected_at = datetime.fromisoformat(str(legacy["connected_at"]))
            if "invoice_gateways" in legacy and store.invoice_gateways is None:
                store.invoice_gateways = list(legacy["invoice_gateways"])
            if "polled_until" in legacy and store.polled_until is None:
                store.polled_until = datetime.fromisoformat(str(legacy["polled_until"]))
            store.webhooks_ready = store.webhooks_ready or bool(legacy.get("webhooks_ready"))
            store.credentials_ciphertext = sealed_credentials(ctx, credentials)
            moved += 1
    return moved


# Key rotation --------------------------------------------------------------------------------


def rotate_keys(ctx: ServiceContext) -> dict[str, int]:
    """Re-encrypt every secret under the newest key and recompute every blind index.

    Runs in batches of short transactions so a large database is not locked for long; it can be
    interrupted and run again (values already under the newest key are only re-indexed).
    """
    counts = {"stores": 0, "carts": 0, "invoices": 0}
    keyring = ctx.keyring
    with ctx.db.transaction() as session:
        for store in session.scalars(
            select(Store).where(Store.credentials_ciphertext.is_not(None))
        ):
            assert store.credentials_ciphertext is not None
            if keyring.needs_rotation(store.credentials_ciphertext):
                clear = keyring.decrypt(store.credentials_ciphertext, STORE_CREDENTIALS)
                store.credentials_ciphertext = keyring.encrypt(clear, STORE_CREDENTIALS)
                counts["stores"] += 1
    counts["carts"] = _rotate_carts(ctx)
    last_id = 0
    while True:
        with ctx.db.transaction() as session:
            batch = list(
                session.scalars(
                    select(Invoice)
                    .where(Invoice.id > last_id)
                    .order_by(Invoice.id)
                    .limit(ROTATION_BATCH)
                )
            )
            for invoice in batch:
                customer: Customer = customer_of(invoice, ctx)
                set_customer(invoice, customer, ctx)
                counts["invoices"] += 1
        if len(batch) < ROTATION_BATCH:
            return counts
        last_id = batch[-1].id


def _rotate_carts(ctx: ServiceContext) -> int:
    """Cart bodies still held (open or invoiced carts: a few), re-encrypted under the newest key."""
    rotated = 0
    with ctx.db.transaction() as session:
        for cart in session.scalars(
            select(StoreCart).where(StoreCart.body_ciphertext.is_not(None))
        ):
            assert cart.body_ciphertext is not None
            if ctx.keyring.needs_rotation(cart.body_ciphertext):
                clear = ctx.keyring.decrypt(cart.body_ciphertext, CART_BODY)
                cart.body_ciphertext = ctx.keyring.encrypt(clear, CART_BODY)
                rotated += 1
    return rotated


def update_branding(ctx: ServiceContext, merchant_id: int, name: str, brand_color: str) -> Merchant:
    """The shop's name and colour as the payment pages and emails show them."""
    if not name.strip() or len(name) > 200:
        raise ValidationError("a shop name is 1 to 200 characters", key="shop_name")
    if not HEX_COLOUR.fullmatch(brand_color):
        raise ValidationError(f"brand colour {brand_color!r}: expected #rrggbb")
    with ctx.db.transaction() as session:
        merchant = _merchant(session, merchant_id)
        merchant.name, merchant.brand_color = name.strip(), brand_color.lower()
        return merchant


def set_logo(ctx: ServiceContext, merchant_id: int, logo_url: str | None) -> Merchant:
    with ctx.db.transaction() as session:
        merchant = _merchant(session, merchant_id)
        merchant.logo_url = logo_url
        return merchant


def _merchant(session: Session, merchant_id: int) -> Merchant:
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(f"no merchant {merchant_id}")
    return merchant


def merchant_stores(ctx: ServiceContext, merchant_id: int) -> list[Store]:
    with ctx.db.transaction() as session:
        return list(
            session.scalars(
                select(Store).where(Store.merchant_id == merchant_id).order_by(Store.id)
            )
        )


@dataclass(frozen=True)
class StoreSummary:
    """A connected store as the console lists it, with the health of its webhooks."""

    store: Store
    invoices: int
    last_invoice_at: datetime | None
    last_event_at: datetime | None
    failed_events: int
    invoice_gateways: tuple[str, ...] = ()


def store_summaries(ctx: ServiceContext, merchant_id: int) -> list[StoreSummary]:
    """The merchant's stores: invoices brought, the last webhook received, and how many of its
    events could not be applied (their jobs are dead: retry or fix them from /api/v1/jobs)."""
    with ctx.db.transaction() as session:
        invoices = {
            store_id: (count, last)
            for store_id, count, last in session.execute(
                select(Invoice.store_id, func.count(), func.max(Invoice.created_at))
                .where(Invoice.merchant_id == merchant_id, Invoice.store_id.is_not(None))
                .group_by(Invoice.store_id)
            )
        }
        events = {
            store_id: last
            for store_id, last in session.execute(
                select(StoreEvent.store_id, func.max(StoreEvent.received_at))
                .join(Store, Store.id == StoreEvent.store_id)
                .where(Store.merchant_id == merchant_id)
                .group_by(StoreEvent.store_id)
            )
        }
        failures: dict[int, int] = {}
        dead = session.scalars(
            select(Job.payload).where(
                Job.merchant_id == merchant_id,
                Job.kind == STORE_EVENT_JOB,
                Job.status == JobStatus.DEAD,
            )
        )
        for payload in dead:  # a handful at most: counted here, portably
            store_id = int(payload.get("store_id", 0))
            failures[store_id] = failures.get(store_id, 0) + 1
    summaries = []
    for store in merchant_stores(ctx, merchant_id):
        count, last_invoice = invoices.get(store.id, (0, None))
        gateways = (store.invoice_gateways or ()) if store.active else ()
        summaries.append(
            StoreSummary(
                store,
                count,
                last_invoice,
                events.get(store.id),
                failures.get(store.id, 0),
                tuple(gateways),
            )
        )
    return summaries
