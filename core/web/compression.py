"""Compressed answers for the pages people open from an SMS, and for static files.

A payment page is opened on a phone, often on a weak mobile network: compressed (zstd,
Brotli or gzip, whichever the browser accepts first in Flask-Compress's order) the invoice
page goes from ~5.5 KB to ~2 KB. Only public pages are compressed: the console's pages mix a
merchant's own search words with its customers' data and its form token, the mix BREACH
reads through compression sizes; the payment pages reflect nothing a third party can choose.

A view whose body repeats (the invoice page: the same bytes for every view while its rows and
form token last) names it with `same_body_for_a_while`: its compressed forms are kept per
process under that name, so a flash sale's crowd costs one compression per page and encoding,
not one per view (compressing cost as much as the rest of a repeat view).
"""

from __future__ import annotations

import threading

from cachetools import LRUCache
from flask import Flask, Response, g, request
from flask_compress import Compress

#: Blueprints whose pages are public and reflect no visitor input besides the link itself.
PUBLIC_BLUEPRINTS = frozenset({"pay", "sandbox"})
#: Compressed bodies kept per process (~2 KB each).
KEPT_BODIES = 4096
_BODY_KEY = "paylink_same_body"


def same_body_for_a_while(name: str) -> None:
    """Say that this response's body will be served again as it is, under `name`, which no
    other body ever has in this process: compress it once."""
    g.setdefault(_BODY_KEY, name)


class _CompressedBodies:
    """Flask-Compress's cache backend: its keys are "<encoding>;<body key>", and a response
    no view marked has an empty body key, which is neither looked up nor kept."""

    def __init__(self) -> None:
        self._kept: LRUCache[str, bytes] = LRUCache(maxsize=KEPT_BODIES)
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        if key.endswith(";"):
            return None
        with self._lock:
            return self._kept.get(key)

    def set(self, key: str, value: bytes) -> None:
        if not key.endswith(";"):
            with self._lock:
                self._kept[key] = value


def compress_public_pages(app: Flask) -> None:
    """Compress the payment pages and static files; leave every other answer as it is."""
    app.config.setdefault("COMPRESS_REGISTER", False)
    # Nothing compressed has an ETag (pages are no-store; static files answer conditional
    # requests themselves), so Flask-Compress need not evaluate them again.
    app.config.setdefault("COMPRESS_EVALUATE_CONDITIONAL_REQUEST", False)
    bodies = _CompressedBodies()
    app.config.setdefault("COMPRESS_CACHE_BACKEND", lambda: bodies)
    app.config.setdefault("COMPRESS_CACHE_KEY", lambda _request: g.get(_BODY_KEY, ""))
    compress = Compress(app)

    @app.after_request
    def _compress(response: Response) -> Response:
        if request.blueprint in PUBLIC_BLUEPRINTS or request.endpoint == "static":
            return compress.after_request(response)
        return response
