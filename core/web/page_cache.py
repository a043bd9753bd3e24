"""Rendered payment pages kept per (link, language), reused while the rows they were made of
(`core.services.page_version`) are unchanged and the minute they were made in lasts.

A flash sale's customers open their link again and again (refreshing, coming back from the
store); rendering the page costs ten times more than checking that nothing changed. The signed
form token (it carries its time) is left as a slot and filled on the way out; the page's CSP
allows its style by hash, so nothing else differs between responses. The minute bounds
everything the page says relative to now ("expires in 3 days", "today"), and a deadline of the
invoice (early-payment offer, due date, expiry) inside the minute ends the rendering at that
deadline.

One cache per process: entries are small (~2 KB) and bounded in number; a changed row is seen
by every process on its next view, since each checks the version itself.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cachetools import LRUCache

from core.services.page_version import PageVersion

#: Where the form token goes: random per process, so no merchant text can hold it.
FORM_TOKEN_SLOT = f"token-{secrets.token_hex(16)}"
CACHED_PAGES = 2048


@dataclass(frozen=True)
class RenderedPage:
    """A page with its form token left as a slot; `style_source`: its style's CSP hash."""

    body: str
    checkout_origins: frozenset[str]
    style_source: str
    version: PageVersion
    valid_until: datetime
    #: Names this rendering (random): the page it fills for one form token is always the same.
    name: str = field(default_factory=lambda: secrets.token_hex(12))

    def fill(self, form_token: str) -> tuple[str, str]:
        """The page with its form token, and that page's name in this process."""
        return self.body.replace(FORM_TOKEN_SLOT, form_token), f"{self.name}:{form_token}"


def valid_until(now: datetime, deadlines: Iterable[datetime | None]) -> datetime:
    """The end of the current minute, or the first deadline before it."""
    minute_end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return min([minute_end, *(d for d in deadlines if d is not None and now < d < minute_end)])


class PageCache:
    """Thread-safe, bounded (least recently used out first)."""

    def __init__(self, size: int = CACHED_PAGES) -> None:
        self._pages: LRUCache[tuple[str, str], RenderedPage] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get(
        self, code: str, language: str, version: PageVersion, now: datetime
    ) -> RenderedPage | None:
        with self._lock:
            page = self._pages.get((code, language))
        if page is None or page.version != version or now >= page.valid_until:
            return None
        return page

    def put(self, code: str, language: str, page: RenderedPage) -> None:
        with self._lock:
            self._pages[(code, language)] = page
