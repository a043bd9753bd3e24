"""The invoice PDF: HTML laid out by WeasyPrint as PDF/A-3b (fonts embedded, an sRGB output
intent), and for business customers the Factur-X file: that PDF with the CII XML embedded as
`factur-x.xml` (relationship Alternative, the EN 16931 level) by the factur-x library, which
checks the XML against its XSD first.

WeasyPrint fetches nothing from the network: the only resources a document may name are the
merchant's uploaded logo (a file of the data directory) and data: URIs; any other address is
refused, so a merchant's logo URL cannot make the worker call out (no SSRF).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import facturx
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from core.documents.cii import PROFILE

LOGO_PREFIX = "/logos/"
FACTURX_LEVEL = "en16931"


class RefusedResource(FatalURLFetchingError):
    """A document named a resource outside what it may use."""


class LocalFetcher(URLFetcher):
    """Fetch data: URIs and the merchant logos under `logo_dir`, nothing else; anything else
    stops the rendering (a fatal error, not a warning WeasyPrint would swallow)."""

    def __init__(self, logo_dir: Path | None) -> None:
        super().__init__(allowed_protocols=("data", "file"), fail_on_errors=True)
        self.logo_dir = logo_dir.resolve() if logo_dir else None

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file://"):
            path = Path(url.removeprefix("file://")).resolve()
            if self.logo_dir and path.parent == self.logo_dir and path.is_file():
                return URLFetcherResponse(url, path.read_bytes())
        raise RefusedResource(f"documents do not fetch {url[:80]!r}")


def logo_file_url(logo_url: str | None, logo_dir: Path | None, base_url: str) -> str | None:
    """The file:// address of a logo uploaded to Paylink (`<base>/logos/<name>`), or None: a
    logo elsewhere on the internet is left out of documents rather than fetched."""
    for prefix in (base_url.rstrip("/") + LOGO_PREFIX, LOGO_PREFIX):
        if logo_dir and logo_url and logo_url.startswith(prefix):
            path = logo_dir / logo_url.removeprefix(prefix)
            if path.resolve().parent == logo_dir.resolve() and path.is_file():
                return path.resolve().as_uri()
    return None


def render_pdf(html: str, logo_dir: Path | None) -> bytes:
    """The HTML (its <title> and lang become the PDF's) as a PDF/A-3b document."""
    document = HTML(string=html, url_fetcher=LocalFetcher(logo_dir))
    pdf: bytes = document.write_pdf(pdf_variant="pdf/a-3b")
    return pdf


def with_facturx(pdf: bytes, xml: bytes, title: str, lang: str) -> bytes:
    """The PDF/A-3 with its CII XML embedded, after the XML passed the EN 16931 XSD (the
    library raises otherwise)."""
    result: bytes = facturx.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level=FACTURX_LEVEL,
        check_xsd=True,
        check_schematron=False,  # needs a Saxon server; the tests run both Schematrons
        afrelationship="alternative",
        pdf_metadata={"title": title, "author": "Paylink", "subject": PROFILE},
        lang=lang,
    )
    return result
