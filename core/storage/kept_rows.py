"""What a process derives from database rows, kept between requests on PostgreSQL while the
database's notices about those rows are heard (`NoticeListener`), so a hot path (a payment
page's repeat view, a delivery's store) reads nothing.

Each value kept is tagged with the notices that concern it (a payment page: its invoice's and
its merchant's; a store: its own). A notice drops every value carrying its payload as a tag,
"all" drops everything, and losing the notices drops everything until they are heard again:
meanwhile every request reads the database, as on SQLite, which has no notices and keeps
nothing.

A value read while a notice about it arrived is not kept: `get` gives a ticket (the number of
notices heard so far) with its miss, and `keep` refuses the value read after it when any
notice since concerns it (the last `RECENT_NOTICES` are remembered to tell).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from cachetools import LRUCache

from core.storage.database import Database

V = TypeVar("V")
#: The notices remembered to tell whether one arrived while a value was being read.
RECENT_NOTICES = 1024
#: The payload that concerns every value (a TRUNCATE; the listener's own resets).
ALL = "all"


class _Evicting(LRUCache[Hashable, Any]):
    """An LRU cache that says which entry it let go of for room."""

    def __init__(self, size: int, evicted: Callable[[Hashable, Any], None]) -> None:
        super().__init__(size)
        self._evicted = evicted

    def popitem(self) -> tuple[Hashable, Any]:
        key, value = super().popitem()
        self._evicted(key, value)
        return key, value


class KeptRows(Generic[V]):
    """Values kept per key (at most `size`, least recently used let go first) while the notices
    of `channels` are heard; `tags(key, value)` names the notices that drop a value."""

    def __init__(
        self,
        db: Database,
        channels: tuple[str, ...],
        size: int,
        tags: Callable[[Hashable, V], Iterable[str]],
    ) -> None:
        self._tags = tags
        self._lock = threading.Lock()
        self._kept = _Evicting(size, self._unindex)
        self._tagged: dict[str, set[Hashable]] = {}
        self._heard = 0  # notices (and resets) so far
        self._recent: deque[tuple[int, str]] = deque(maxlen=RECENT_NOTICES)
        self.listener = db.listen(channels, self._notice, self._reset)

    def get(self, key: Hashable) -> tuple[V | None, int]:
        """The value kept for `key` (None when there is none to trust), and the ticket to keep
        the one read instead (`keep`)."""
        if self.listener is None:
            return None, 0
        self.listener.start()
        with self._lock:
            if not self.listener.live:
                return None, -1
            value: V | None = self._kept.get(key)
            return value, self._heard

    def keep(self, key: Hashable, value: V, ticket: int) -> None:
        """Keep `value` of `key`, read after `get` gave `ticket`, unless a notice about it (or a
        reset) came since, or too many to tell."""
        if self.listener is None or ticket < 0:
            return
        tags = set(self._tags(key, value))
        with self._lock:
            if not self.listener.live or self._heard - ticket > len(self._recent):
                return
            for seen, payload in reversed(self._recent):  # the notices since the ticket
                if seen <= ticket:
                    break
                if payload == ALL or payload in tags:
                    return
            if key in self._kept:
                self._unindex(key, self._kept[key])
            self._kept[key] = value
            for tag in tags:
                self._tagged.setdefault(tag, set()).add(key)

    def read_through(
        self, key: Hashable, read: Callable[[], V | None], keeps: Callable[[V], bool]
    ) -> V | None:
        """The value of `key`: the one kept, or `read()` (None: there is none), kept when
        `keeps` says it may be."""
        value, ticket = self.get(key)
        if value is None:
            value = read()
            if value is not None and keeps(value):
                self.keep(key, value, ticket)
        return value

    def _unindex(self, key: Hashable, value: V) -> None:
        for tag in self._tags(key, value):
            keys = self._tagged.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._tagged[tag]

    def _notice(self, payload: str) -> None:
        with self._lock:
            self._heard += 1
            self._recent.append((self._heard, payload))
            if payload == ALL:
                self._clear()
                return
            for key in self._tagged.pop(payload, ()):
                value = self._kept.pop(key, None)
                if value is not None:
                    self._unindex(key, value)

    def _reset(self) -> None:
        with self._lock:
            self._heard += 1
            self._recent.append((self._heard, ALL))
            self._clear()

    def _clear(self) -> None:
        self._kept.clear()
        self._tagged.clear()
