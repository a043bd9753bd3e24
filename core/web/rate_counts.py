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
from typing import TypeVar

from flask import Flask, Response, g, request
from flask_limiter import Limiter
from limits import RateLimitItem, WindowStats, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from werkzeug.exceptions import TooManyRequests

#: How long counting stays in memory after the shared storage failed, before it is tried again.
RETRY_SHARED_SECONDS = 30.0

log = logging.getLogger(__name__)
T = TypeVar("T")


class RateCounts:
    """One limit's counts per key (an address, an API key, a payment account) in one scope."""

    def __init__(self, limiter: Limiter, limit: str, scope: str) -> None:
        self.limiter = limiter
        self.item: RateLimitItem = parse(limit)
        self.scope = scope
        self.local = FixedWindowRateLimiter(MemoryStorage())
        self.failed_at: float | None = None

    def allows(self, key: str) -> bool:
        """Whether `key` has some of its budget left (spending none)."""
        return self._ask(lambda counts: counts.test(self.item, self.scope, key))

    def spend(self, key: str) -> bool:
        """Spend one of `key`'s budget: False (and nothing spent) when none is left."""
        return self._ask(lambda counts: counts.hit(self.item, self.scope, key))

    def window(self, key: str) -> WindowStats:
        """When `key`'s window ends (epoch seconds) and how much of its budget is left."""
        return self._ask(lambda counts: counts.get_window_stats(self.item, self.scope, key))

    def _ask(self, question: Callable[[RateLimiter], T]) -> T:
        if self.failed_at is not None:
            if time.monotonic() - self.failed_at < RETRY_SHARED_SECONDS:
                return question(self.local)
            self.failed_at = None
        try:
            return question(self.limiter.limiter)
        except self.limiter.storage.base_exceptions as error:
            log.warning("rate limit storage unreachable, counting in memory: %s", error)
            self.failed_at = time.monotonic()
            return question(self.local)


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
            reset_at, _ = counts.window(spender)
            raise TooManyRequests(
                f"rate limit exceeded: {counts.item}",
                retry_after=max(1, int(reset_at - time.time())),
            )

    if headers:

        @app.after_request
        def _tell(response: Response) -> Response:
            counted = g.get("rate_counts")
            if counted is not None:
                spent, spender = counted
                reset_at, remaining = spent.window(spender)
                response.headers["X-RateLimit-Limit"] = str(spent.item.amount)
                response.headers["X-RateLimit-Remaining"] = str(remaining)
                response.headers["X-RateLimit-Reset"] = str(int(reset_at))
            return response
