"""Rate limits checked on the hot paths themselves, on the rate limiter's storage.

Flask-Limiter's per-request machinery (resolving each request's limits and exemptions, keeping
them for the response's headers) costs more than a cached payment page, and about a tenth of
an API call's CPU. The API, the provider webhooks and the payment pages' look-up budget count
here instead, with `limits` (the library under Flask-Limiter) on Flask-Limiter's own storage:
memory, or Redis shared by every process. When that storage fails (Redis gone), counting goes
on in this process's memory until it answers again, as Flask-Limiter does for its own limits:
an outage of the rate limiter must not take the payment pages or the API down with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, request
from flask_limiter import Limiter
from limits import RateLimitItem, WindowStats, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

#: How long counting stays in memory after the shared storage failed, before it is tried again.
RETRY_SHARED_SECONDS = 30.0

log = logging.getLogger(__name__)


class RateCounts:
    """One setting's limits ("300 per minute", or several: "10/second;1000/day") counted per key
    (an address, an API key, a payment account) in one scope."""

    def __init__(self, limiter: Limiter, limit: str, scope: str) -> None:
        self.limiter = limiter
        self.items: list[RateLimitItem] = parse_many(limit)
        self.scope = scope
        self.local = FixedWindowRateLimiter(MemoryStorage())
        self.failed_at: float | None = None

    def allows(self, key: str) -> bool:
        """Whether `key` has some of every budget left (spending none)."""
        return all(self._ask("test", item, key) for item in self.items)

    def spend(self, key: str) -> bool:
        """Spend one of each of `key`'s budgets in turn: False at the first one with none left
        (as Flask-Limiter does, that one and the rest are not spent)."""
        return all(self._ask("hit", item, key) for item in self.items)

    def tightest(self, key: str) -> tuple[RateLimitItem, WindowStats]:
        """The limit `key` has least left of, with its window (when it ends, in epoch seconds,
        and what is left): what the answer's headers tell."""
        windows = [(item, self._ask("get_window_stats", item, key)) for item in self.items]
        return min(windows, key=lambda window: window[1].remaining)

    def _ask(self, question: str, item: RateLimitItem, key: str) -> Any:
        """A strategy's `question` (`test`, `hit`, `get_window_stats`) about `key`'s count for
        `item`, asked of the shared storage, or of this process's memory while that one
        fails."""
        if self.failed_at is not None:
            if time.monotonic() - self.failed_at < RETRY_SHARED_SECONDS:
                return getattr(self.local, question)(item, self.scope, key)
            self.failed_at = None
        try:
            return getattr(self.limiter.limiter, question)(item, self.scope, key)
        except self.limiter.storage.base_exceptions as error:
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
    carries X-RateLimit-Limit, -Remaining and -Reset, as Flask-Limiter wrote them."""

    @app.before_request
    def _spend() -> None:
        if (request.blueprint or "").partition(".")[0] != blueprint:
            return
        spender = key()
        if headers:
            g.rate_counts = counts, spender
        if not counts.spend(spender):
            item, (reset_at, _) = counts.tightest(spender)
            raise TooManyRequests(
                f"rate limit exceeded: {item}", retry_after=max(1, int(reset_at - time.time()))
            )

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
