"""A store's secrets (tokens, keys, webhook secrets), encrypted at rest under their own
purpose, and the plain `StoreRef` a connector is handed with them decrypted for one call."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
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
        credentials=SealedCredentials(ctx, store.credentials_ciphertext),
    )


class SealedCredentials(Mapping[str, Any]):
    """A store's secrets, decrypted when first read: a connector that never reads them for a
    call (a Shopify delivery is verified with the app's secret, not the store's) pays no
    decryption, and one that does decrypts them once."""

    def __init__(self, ctx: ServiceContext, ciphertext: str | None) -> None:
        self._ctx, self._ciphertext = ctx, ciphertext
        self._plain: dict[str, Any] | None = None

    def _opened(self) -> dict[str, Any]:
        if self._plain is None:
            sealed = self._ciphertext
            plain = self._ctx.keyring.decrypt(sealed, STORE_CREDENTIALS) if sealed else "{}"
            self._plain = json.loads(plain)
        return self._plain

    def __getitem__(self, name: str) -> Any:
        return self._opened()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._opened())

    def __len__(self) -> int:
        return len(self._opened())

    def __repr__(self) -> str:
        return "SealedCredentials(...)"  # never the secrets, even in a traceback


def store_credentials(ctx: ServiceContext, store: Store | Row[Any]) -> dict[str, Any]:
    return dict(SealedCredentials(ctx, store.credentials_ciphertext))
