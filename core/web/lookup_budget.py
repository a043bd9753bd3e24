"""The payment pages' budget of failed look-ups per address: only a code that names no invoice
spends it, so guessing codes stays bounded while a customer holding a valid link, however often
the page is opened (a return page refreshing, a carrier's shared address), spends nothing.

Checked here rather than through Flask-Limiter's per-route machinery, which costs more than a
cached payment page itself; the counts still live in the limiter's storage (memory, or Redis),
so every process shares them as before. When that storage fails (Redis gone), the counts are
kept in this process's memory until it answers again, as Flask-Limiter does for its own limits:
an outage of the rate limiter must not take the payment pages down with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import Blueprint, Response, abort
from flask_limiter import Limiter
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

SCOPE = "payment-link-lookups"
#: How long the counts stay in memory after the shared storage failed, before it is tried again.
RETRY_SHARED_SECONDS = 30.0

log = logging.getLogger(__name__)


class _Counts:
    """The budget's counts: in the limiter's shared storage, or in this process's memory for a
    while after that storage failed."""

    def __init__(self, limiter: Limiter, item: RateLimitItem) -> None:
        self.limiter = limiter
        self.item = item
        self.local = FixedWindowRateLimiter(MemoryStorage())
        self.failed_at: float | None = None

    def allows(self, address: str) -> bool:
        return self._ask(lambda counts: counts.test(self.item, SCOPE, address))

    def spend(self, address: str) -> None:
        self._ask(lambda counts: counts.hit(self.item, SCOPE, address))

    def _ask(self, question: Callable[[RateLimiter], bool]) -> bool:
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


def limit_failed_lookups(
    pages: Blueprint, limiter: Limiter, limit: str, address: Callable[[], str]
) -> None:
    """Refuse (429) an address that spent its budget on any payment page; spend it on 404s."""
    counts = _Counts(limiter, parse(limit))

    @pages.before_request
    def _refuse_guessers() -> None:
        if not counts.allows(address()):
            abort(429)

    @pages.after_request
    def _spend_on_misses(response: Response) -> Response:
        if response.status_code == 404:
            counts.spend(address())
        return response
