"""Flask-Limiter, asked only by the requests of the blueprints that have limits of its own.

Flask-Limiter looks at every request the app serves: even one it is told to skip (a request
filter) goes through its whole per-request resolution of limits and exemptions, ~50 µs, a
seventh of a cached payment page and more than a stored webhook's insert. Here the limiter's
hook returns at once for a blueprint that has no limit of its own. Only the console's sign-in
has one now; the hot paths (the API, the provider webhooks, the payment pages) count on the
limiter's storage themselves (`core.web.rate_counts`).
"""

from __future__ import annotations

from flask import request
from flask_limiter import Limiter

#: The blueprints whose routes carry limits (`core.web.create_app`).
LIMITED_BLUEPRINTS = frozenset({"console"})


class BlueprintLimiter(Limiter):
    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        # A blueprint nested in a limited one is limited with it: its name starts with theirs.
        if (request.blueprint or "").partition(".")[0] in LIMITED_BLUEPRINTS:
            super()._check_request_limit(callable_name, in_middleware)
