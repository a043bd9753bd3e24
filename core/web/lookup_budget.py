"""The payment pages' budget of failed look-ups per address: only a code that names no invoice
spends it, so guessing codes stays bounded while a customer holding a valid link, however often
the page is opened (a return page refreshing, a carrier's shared address), spends nothing.

Checked here rather than through Flask-Limiter's per-route machinery, which costs more than a
cached payment page itself; the counts still live in the limiter's storage (memory, or Redis
with its in-memory fallback), so every process shares them as before.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort
from flask_limiter import Limiter
from limits import parse

SCOPE = "payment-link-lookups"


def limit_failed_lookups(
    pages: Blueprint, limiter: Limiter, limit: str, address: Callable[[], str]
) -> None:
    """Refuse (429) an address that spent its budget on any payment page; spend it on 404s."""
    item = parse(limit)

    @pages.before_request
    def _refuse_guessers() -> None:
        if not limiter.limiter.test(item, SCOPE, address()):
            abort(429)

    @pages.after_request
    def _spend_on_misses(response: Response) -> Response:
        if response.status_code == 404:
            limiter.limiter.hit(item, SCOPE, address())
        return response
