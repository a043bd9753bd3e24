"""A store's secrets (tokens, keys, webhook secrets), encrypted at rest under their own
purpose, and the plain `StoreRef` a connector is handed with them decrypted for one call."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row

from core.services.context import ServiceContext
from core.storage.models import Store
from core.store_changes import StoreRef

STORE_CREDENTIALS = "stores.credentials"


def sealed_credentials(ctx: ServiceContext, credentials: Mapping[str, Any]) -> str:
    return ctx.keyring.encrypt(json.dumps(dict(credentials)), STORE_CREDENTIALS)


def store_ref(ctx: ServiceContext, store: Store | Row[Any]) -> StoreRef:
    """A store (its model or its row) as its connector sees it: plain data, its secrets
    decrypted for this call."""
    gateways = store.invoice_gateways
    return StoreRef(
        id=store.id,
        merchant_id=store.merchant_id,
        platform=store.platform,
        domain=store.domain,
        active=store.active,
        connected_at=store.connected_at,
        invoice_gateways=tuple(gateways) if gateways else None,
        polled_until=store.polled_until,
        webhooks_ready=store.webhooks_ready,
        credentials=store_credentials(ctx, store),
    )


def store_credentials(ctx: ServiceContext, store: Store | Row[Any]) -> dict[str, Any]:
    if store.credentials_ciphertext is None:
        return {}
    loaded: dict[str, Any] = json.loads(
        ctx.keyring.decrypt(store.credentials_ciphertext, STORE_CREDENTIALS)
    )
    return loaded
