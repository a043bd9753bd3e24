"""The payment pages' budget of failed look-ups per address: only a code that names no invoice
spends it, so guessing codes stays bounded while a customer holding a valid link, however often
the page is opened (a return page refreshing, a carrier's shared address), spends nothing.
Counted on the rate limiter's storage (`RateCounts`), so every process shares the budget."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort

from core.web.rate_counts import RateCounts


def limit_failed_lookups(pages: Blueprint, counts: RateCounts, address: Callable[[], str]) -> None:
    """Refuse (429) an address that spent its budget on any payment page; spend it on 404s."""

    @pages.before_request
    def _refuse_guessers() -> None:
        if not counts.allows(address()):
            abort(429)

    @pages.after_request
    def _spend_on_misses(response: Response) -> Response:
        if response.status_code == 404:
            counts.spend(address())
        return response
