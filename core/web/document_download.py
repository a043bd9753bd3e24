"""An invoice or credit note as a download: the stored PDF (or Factur-X PDF) as it was made."""

from __future__ import annotations

from flask import Response


def document_response(pdf: bytes, sha256: str, number: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    safe = "".join(c for c in number if c.isalnum() or c in "-_") or "invoice"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"  # names and amounts inside
    response.headers["ETag"] = f'"{sha256}"'
    return response
