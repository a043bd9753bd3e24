"""An invoice document as a download: the stored PDF (or Factur-X PDF) as it was made."""

from __future__ import annotations

from flask import Response

from core.storage.document_models import InvoiceDocumentFile


def document_response(stored: InvoiceDocumentFile, number: str) -> Response:
    response = Response(stored.pdf, mimetype="application/pdf")
    safe = "".join(c for c in number if c.isalnum() or c in "-_") or "invoice"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"  # names and amounts inside
    response.headers["ETag"] = f'"{stored.sha256}"'
    return response
