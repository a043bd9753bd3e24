"""Rate limits: the API's per key, the provider webhooks' per account and per address, the
payment pages' budget of failed look-ups, the console's sign-in attempts.

Counted with `limits` (fixed windows) in memory, or in Redis shared by every process, by a hook
on the blueprints they limit (the sign-in form counts its own POSTs). Flask-Limiter did this
before; its per-request machinery (resolving every request's limits and exemptions, even a
request it is told to skip, and keeping them for the response's headers) cost more than a
cached payment page, and about a tenth of an API call. When Redis fails, counting goes on in
this process's memory until it answers again: an outage of the rate limiter must not take the
payment pages, the webhooks or the API down with it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

from flask import Flask, Response, g, request
from limits import RateLimitItem, WindowStats, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

#: How long counting stays in memory after the shared storage failed, before it is tried again.
RETRY_SHARED_SECONDS = 30.0

#: Before every key in the shared storage: another application on the same Redis keeps apart.
KEY_PREFIX = "paylink"

#: How often counts kept in memory are swept of expired windows.
SWEEP_SECONDS = 1.0

log = logging.getLogger(__name__)


class SweptMemoryStorage(MemoryStorage):
    """`limits`' in-process storage, its expired windows swept at most once a second.

    The library sweeps on a 10 ms `threading.Timer` that the next count restarts once it has
    fired: under load, a new thread for nearly every request counted (a few percent of an API
    call). The sweep only frees memory: every count already drops its own expired fixed window
    before it reads it (`MemoryStorage.get`), so sweeping less often changes no answer. The
    override is of the library's private hook (`__schedule_expiry`, name-mangled);
    tests/core/web/test_rate_limits.py checks the timer counting leaves behind, so a `limits`
    that renames the hook fails there, not in production."""

    def __init__(self) -> None:
        super().__init__()
        self.timer.cancel()  # the library's first 10 ms sweep: nothing to sweep yet
        self.timer = self._sweep()

    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            # Started through a local name: two threads arriving together each start their
            # own timer (one sweep more), never the same one twice (a RuntimeError).
            self.timer = timer = self._sweep()
            timer.start()

    def _sweep(self) -> threading.Timer:
        expire = self._MemoryStorage__expire_events  # type: ignore[attr-defined]
        timer = threading.Timer(SWEEP_SECONDS, expire)
        timer.daemon = True  # a sweep due never holds the process's exit
        return timer


def rate_limit_storage(redis_url: str | None) -> Storage:
    """Where the counts live: Redis, shared by every process, or this process's memory."""
    if not redis_url:
        return SweptMemoryStorage()
    storage = storage_from_string(redis_url)
    assert isinstance(storage, Storage)  # a synchronous one: our URLs are not async schemes
    return storage


class RateCounts:
    """One setting's limits ("300 per minute", or several: "10/second;1000/day") counted per key
    (an address, an API key, a payment account) in one scope."""

    def __init__(self, storage: Storage, limit: str, scope: str) -> None:
        self.storage = storage
        self.shared = FixedWindowRateLimiter(storage)
        self.local = FixedWindowRateLimiter(SweptMemoryStorage())
        self.items: list[RateLimitItem] = parse_many(limit)
        self.scope = f"{KEY_PREFIX}/{scope}"
        self.failed_at: float | None = None

    def allows(self, key: str) -> bool:
        """Whether `key` has some of every budget left (spending none)."""
        return all(self._ask("test", item, key) for item in self.items)

    def spend(self, key: str) -> bool:
        """Spend one of each of `key`'s budgets in turn: False at the first one with none left
        (as Flask-Limiter did: that one and the rest are not spent)."""
        return all(self._ask("hit", item, key) for item in self.items)

    def tightest(self, key: str) -> tuple[RateLimitItem, WindowStats]:
        """The limit `key` has least left of, with its window (when it ends, in epoch seconds,
        and what is left): what the answer's headers tell."""
        windows = [(item, self._ask("get_window_stats", item, key)) for item in self.items]
        return min(windows, key=lambda window: window[1].remaining)

    def retry_after(self, key: str) -> int:
        """In how many seconds (at least 1) `key` has some of its tightest budget again."""
        _, (reset_at, _) = self.tightest(key)
        return max(1, int(reset_at - time.time()))

    def _ask(self, question: str, item: RateLimitItem, key: str) -> Any:
        """A strategy's `question` (`test`, `hit`, `get_window_stats`) about `key`'s count for
        `item`, asked of the shared storage, or of this process's memory while that one
        fails."""
        if self.failed_at is not None:
            if time.monotonic() - self.failed_at < RETRY_SHARED_SECONDS:
                return getattr(self.local, question)(item, self.scope, key)
            self.failed_at = None
        try:
            return getattr(self.shared, question)(item, self.scope, key)
        except self.storage.base_exceptions as error:
            log.warning("rate limit storage unreachable, counting in memory: %s", error)
            self.failed_at = time.monotonic()
            return getattr(self.local, question)(item, self.scope, key)


def limit_blueprint(
    app: Flask,
    blueprint: str,
    counts: RateCounts,
    key: Callable[[], str],
    headers: bool = False,
) -> None:
    """Refuse (429, with Retry-After) the requests to `blueprint`'s routes (and those of the
    blueprints nested in it) over `counts`' limit per `key`, before the blueprint's own hooks
    (authentication included: failed attempts count too). With `headers`, every answer
    carries X-RateLimit-Limit, -Remaining and -Reset."""

    @app.before_request
    def _spend() -> None:
        if (request.blueprint or "").partition(".")[0] != blueprint:
            return
        spender = key()
        if headers:
            g.rate_counts = counts, spender
        if not counts.spend(spender):
            _refuse(counts, spender)

    if headers:

        @app.after_request
        def _tell(response: Response) -> Response:
            counted = g.get("rate_counts")
            if counted is not None:
                spent, spender = counted
                item, (reset_at, remaining) = spent.tightest(spender)
                response.headers["X-RateLimit-Limit"] = str(item.amount)
                response.headers["X-RateLimit-Remaining"] = str(remaining)
                response.headers["X-RateLimit-Reset"] = str(int(reset_at))
            return response


def _refuse(counts: RateCounts, spender: str) -> NoReturn:
    item, _ = counts.tightest(spender)
    raise TooManyRequests(f"rate limit exceeded: {item}", retry_after=counts.retry_after(spender))
