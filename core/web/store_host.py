"""The StoreHost the app hands every connector's blueprint (core/connector.py): the store
operations a connector's routes need, done by the core's services, on plain data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Response, flash

from core.merchant_profile import MerchantProfile
from core.services import accounts, store_events, store_sync
from core.services.context import ServiceContext
from core.services.store_secrets import store_ref
from core.store_changes import StoreRef
from core.web.console.pages import language, render, require_csrf
from core.web.console.texts import console_text

#: The console notices a connector may show (keys of the console's catalogue).
NOTICES = frozenset({"store_connected", "store_refused"})


class AppStoreHost:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.stores = store_events.KeptStores(ctx.db)

    def clock(self) -> datetime:
        return self.ctx.clock()

    def find_store(self, platform: str, domain: str, active_only: bool = True) -> StoreRef | None:
        store = self.stores.by_domain(self.ctx, platform, domain, active_only)
        return store_ref(self.ctx, store) if store is not None else None

    def store(self, platform: str, store_id: int) -> StoreRef | None:
        store = self.stores.by_id(self.ctx, platform, store_id)
        return store_ref(self.ctx, store) if store is not None else None

    def receive(
        self,
        store: StoreRef,
        event_key: str,
        topic: str,
        raw_body: bytes,
        triggered_at: datetime | None = None,
    ) -> bool:
        return store_events.receive_store_event(
            self.ctx, store, event_key, topic, raw_body, triggered_at
        )

    def connect(
        self, merchant_id: int, platform: str, domain: str, credentials: Mapping[str, Any]
    ) -> StoreRef:
        store = accounts.connect_store(self.ctx, merchant_id, platform, domain, dict(credentials))
        with self.ctx.db.transaction() as session:
            store_sync.request_setup(self.ctx, session, store)
        return store_ref(self.ctx, store)

    def connect_new_merchant(
        self,
        profile: MerchantProfile,
        platform: str,
        domain: str,
        credentials: Mapping[str, Any],
    ) -> StoreRef:
        store = accounts.create_merchant_with_store(
            self.ctx, profile, platform, domain, dict(credentials)
        )
        return store_ref(self.ctx, store)

    def render_console(self, template: str, **context: Any) -> Response:
        return render(template, **context)

    def require_form(self) -> None:
        require_csrf()

    def tell_merchant(self, notice: str) -> None:
        if notice not in NOTICES:
            raise ValueError(f"no console notice {notice!r}")
        flash(console_text(language(), notice))
