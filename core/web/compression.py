"""Compressed answers for the pages people open from an SMS, and for static files.

A payment page is opened on a phone, often on a weak mobile network: compressed (zstd,
Brotli or gzip, whichever the browser accepts first in Flask-Compress's order) the invoice
page goes from ~5.5 KB to ~2 KB. Only public pages are compressed: the console's pages mix a
merchant's own search words with its customers' data and its form token, the mix BREACH
reads through compression sizes; the payment pages reflect nothing a third party can choose.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_compress import Compress

#: Blueprints whose pages are public and reflect no visitor input besides the link itself.
PUBLIC_BLUEPRINTS = frozenset({"pay", "sandbox"})


def compress_public_pages(app: Flask) -> None:
    """Compress the payment pages and static files; leave every other answer as it is."""
    app.config.setdefault("COMPRESS_REGISTER", False)
    compress = Compress(app)

    @app.after_request
    def _compress(response: Response) -> Response:
        if request.blueprint in PUBLIC_BLUEPRINTS or request.endpoint == "static":
            return compress.after_request(response)
        return response
