"""Invoice documents where people get them: the customer's payment page and receipt, the
merchant's console (their own invoices only), the API taking a business customer, and the
settings page where the seller's legal details are entered."""

from __future__ import annotations

import re

import facturx

from core.events import PaymentReceived, RefundIssued
from core.money import Money
from core.services import invoice_creation, payments
from tests.support.console import csrf_token, sign_in
from tests.support.factories import merchant, order

BUSINESS = {
    "company": "ACME Industries SAS",
    "siren": "732 829 320",
    "vat_number": "FR40 303 265 045",
    "address": {"street": "3 rue de la Paix", "postcode": "75002", "city": "Paris"},
}


def test_the_customer_downloads_the_invoice_once_the_worker_made_it(client, invoice, run_jobs):
    page = client.get(f"/i/{invoice.link_code}").get_data(as_text=True)
    assert f"/i/{invoice.link_code}/invoice.pdf" in page and "Télécharger la facture" in page
    early = client.get(f"/i/{invoice.link_code}/invoice.pdf")
    assert early.status_code == 503 and "en préparation" in early.get_data(as_text=True)
    run_jobs()
    pdf = client.get(f"/i/{invoice.link_code}/invoice.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    assert f'filename="{invoice.number}.pdf"' in pdf.headers["Content-Disposition"]
    assert "no-store" in pdf.headers["Cache-Control"]


def test_the_api_takes_a_business_customer_whose_invoice_is_factur_x(client, auth, run_jobs):
    body = {
        "currency": "EUR",
        "lines": [{"label": "Conseil", "unit_price": 12000, "tax": 2000}],
        "customer": {"name": "Paul", "email": "paul@acme.example", **BUSINESS},
        "reference": "b2b-1",
    }
    created = client.post("/api/v1/invoices", json=body, headers=auth)
    assert created.status_code == 201, created.json
    run_jobs()
    code = created.json["payment_url"].rsplit("/", 1)[1]
    pdf = client.get(f"/i/{code}/invoice.pdf").data
    _, xml = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert b"732829320" in xml and b"ACME Industries SAS" in xml
    wrong = {**body, "reference": "b2b-2", "customer": {**body["customer"], "siren": "123"}}
    refused = client.post("/api/v1/invoices", json=wrong, headers=auth)
    assert refused.status_code == 422 and "SIREN" in refused.json["error"]["message"]


def test_the_console_serves_the_merchant_s_own_documents_only(client, ctx, shop, run_jobs):
    mine, _ = invoice_creation.create_invoice(ctx, shop.id, order("mine"))
    other = merchant(ctx, "Autre boutique")
    theirs, _ = invoice_creation.create_invoice(ctx, other.id, order("theirs"))
    sign_in(client, ctx, shop.id)
    waiting = client.get(f"/console/invoices/{mine.id}/invoice.pdf")
    assert waiting.status_code == 303  # back to the invoice, which says it is being prepared
    run_jobs()
    assert client.get(f"/console/invoices/{mine.id}/invoice.pdf").mimetype == "application/pdf"
    assert client.get(f"/console/invoices/{theirs.id}/invoice.pdf").status_code == 404


def test_the_seller_s_legal_details_are_checked_when_entered(client, ctx, shop):
    sign_in(client, ctx, shop.id)
    page = client.get("/console/branding").get_data(as_text=True)
    assert "Mentions légales des factures" in page
    details = {
        "csrf_token": csrf_token(page),
        "legal_name": "Lune SARL",
        "siren": "552 100 554",
        "vat_number": "FR96552100554",
        "street": "12 quai Rambaud",
        "postcode": "69002",
        "city": "Lyon",
        "legal_mentions": "SARL au capital de 10 000 €",
        "penalty_rate": "12,15",
        "attach_documents": "y",
    }
    assert client.post("/console/branding/legal", data=details).status_code == 303
    page = client.get("/console/branding").get_data(as_text=True)
    assert 'value="552100554"' in page and 'value="12.15"' in page
    assert re.search(r'checked id="attach_documents"|id="attach_documents"[^>]*checked', page)
    refused = client.post("/console/branding/legal", data={**details, "siren": "552 100 555"})
    assert refused.status_code == 422
    assert "n&#39;est pas un SIREN" in refused.get_data(as_text=True)
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    refused = client.post(
        "/console/branding/legal", data={**details, "vat_number": "FR83552100554"}
    )
    assert "n&#39;est pas un numéro de TVA européen" in refused.get_data(as_text=True)


def test_a_refund_s_credit_note_is_downloaded_by_its_customer_and_merchant_only(
    client, ctx, shop, run_jobs
):
    mine, _ = invoice_creation.create_invoice(ctx, shop.id, order("refunded"))
    payments.record_payment(
        ctx, PaymentReceived("sandbox", "p-r", mine.id, Money(7550, "EUR"), ctx.clock())
    )
    payments.record_refund(
        ctx, RefundIssued("sandbox", "re-1", mine.id, Money(2000, "EUR"), ctx.clock())
    )
    other = merchant(ctx, "Autre boutique")
    theirs, _ = invoice_creation.create_invoice(ctx, other.id, order("theirs"))
    run_jobs()
    receipt = client.get(f"/i/{mine.link_code}/receipt").get_data(as_text=True)
    [path] = re.findall(r'href="(/i/[^"]+/credit-notes/\d+\.pdf)"', receipt)
    assert "AV-2026-000001" in receipt
    pdf = client.get(path)
    assert (
        pdf.mimetype == "application/pdf"
        and 'filename="AV-2026-000001.pdf"' in (pdf.headers["Content-Disposition"])
    )
    note_id = path.rsplit("/", 1)[1].removesuffix(".pdf")
    assert client.get(f"/i/{theirs.link_code}/credit-notes/{note_id}.pdf").status_code == 404
    sign_in(client, ctx, shop.id)
    page = client.get(f"/console/invoices/{mine.id}").get_data(as_text=True)
    assert "l&#39;avoir AV-2026-000001" in page and "Avoir prêt" in page
    console = f"/console/invoices/{mine.id}/credit-notes/{note_id}.pdf"
    assert client.get(console).mimetype == "application/pdf"
    assert (
        client.get(f"/console/invoices/{theirs.id}/credit-notes/{note_id}.pdf").status_code == 404
    )
