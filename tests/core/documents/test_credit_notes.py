"""Credit notes as the worker makes them from refunds: one per refund, numbered in the
merchant's own continuous series whatever the retries, naming the invoice they credit; a full
refund repeats the invoice's lines, a partial one is a share of its main line at that line's
VAT; a business customer's is Factur-X type 381, valid against the EN 16931 XSD."""

from __future__ import annotations

import threading

import facturx
from lxml import etree

from core.documents.cii import NAMESPACES
from core.events import PaymentReceived, RefundIssued
from core.invoices import InvoiceContent, InvoiceLine
from core.services import credit_notes, invoice_creation, payments
from core.services.documents import DocumentEnvironment
from core.services.invoice_queries import invoice_timeline
from tests.core.documents.test_documents import ACME, pdf_text
from tests.core.documents.test_documents import seller as seller  # the fixture, by name
from tests.support.factories import eur, order
from tests.support.schematron import EN16931, FR_CTC, schematron_errors


def paid_then_refunded(ctx, shop, amounts, buyer=None, reference="r-1"):
    lines = (
        InvoiceLine("Conseil", 1, eur("120.00"), eur("20.00")),
        InvoiceLine("Livre", 2, eur("10.55"), eur("1.10")),
    )
    request = order(
        reference, content=InvoiceContent("EUR", lines, eur("12.00"), eur("0.00")), buyer=buyer
    )
    invoice, _ = invoice_creation.create_invoice(ctx, shop.id, request)
    payments.record_payment(
        ctx, PaymentReceived("sandbox", f"p-{reference}", invoice.id, eur("153.10"), ctx.clock())
    )
    refunds = []
    for n, amount in enumerate(amounts):
        refund, _ = payments.record_refund(
            ctx,
            RefundIssued("sandbox", f"re-{reference}-{n}", invoice.id, eur(amount), ctx.clock()),
        )
        refunds.append(refund)
    return invoice, refunds


def make(ctx, tmp_path, refund):
    env = DocumentEnvironment(tmp_path, "https://pay.example")
    assert credit_notes.make_credit_note(ctx, env, refund.id)
    assert not credit_notes.make_credit_note(ctx, env, refund.id)  # a retried job: once
    note = credit_notes.credit_notes_of(ctx, refund.invoice_id)[-1]
    return credit_notes.credit_note_pdf(ctx, refund.invoice_id, note.id)


def test_a_partial_refund_credits_a_share_of_the_main_line(ctx, seller, tmp_path):
    invoice, [refund] = paid_then_refunded(ctx, seller, ["24.00"])
    note = make(ctx, tmp_path, refund)
    text = pdf_text(note.pdf).replace("\u00a0", " ")
    assert note.number == "AV-2026-000001" and "Avoir" in text
    assert f"Avoir sur la facture {invoice.number}" in text
    assert f"Remboursement sur la facture {invoice.number}" in text
    assert "20,00 €" in text and "4,00 €" in text and "24,00 €" in text  # 20 % of 20,00 € net
    assert "Lune SARL" in text and "SIREN 552100554" in text
    assert "pénalités" not in text and "escompte" not in text  # nothing is due on a credit
    kinds = [e.kind for e in invoice_timeline(ctx, seller.id, invoice.id)]
    assert kinds.count("credit_note_made") == 1


def test_a_full_refund_repeats_the_lines_and_numbers_follow_each_other(ctx, seller, tmp_path):
    _, [first] = paid_then_refunded(ctx, seller, ["10.00"], reference="r-a")
    _, [whole] = paid_then_refunded(ctx, seller, ["153.10"], reference="r-b")
    assert make(ctx, tmp_path, first).number == "AV-2026-000001"
    note = make(ctx, tmp_path, whole)
    text = pdf_text(note.pdf).replace("\u00a0", " ")
    assert note.number == "AV-2026-000002"
    assert "Conseil" in text and "Livre" in text and "153,10 €" in text


def test_workers_racing_on_one_refund_make_one_note_and_skip_no_number(ctx, seller, tmp_path):
    _, [refund] = paid_then_refunded(ctx, seller, ["24.00"])
    env = DocumentEnvironment(tmp_path, "https://pay.example")
    made = []
    threads = [
        threading.Thread(
            target=lambda: made.append(credit_notes.make_credit_note(ctx, env, refund.id))
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert made.count(True) == 1
    [note] = credit_notes.credit_notes_of(ctx, refund.invoice_id)
    assert note.number == "AV-2026-000001"
    _, [later] = paid_then_refunded(ctx, seller, ["5.00"], reference="r-2")
    assert make(ctx, tmp_path, later).number == "AV-2026-000002"  # the losers took no number


def test_a_business_credit_note_is_factur_x_381_naming_its_invoice(ctx, seller, tmp_path):
    invoice, [refund] = paid_then_refunded(ctx, seller, ["153.10"], buyer=ACME)
    note = make(ctx, tmp_path, refund)
    assert note.facturx
    _, xml = facturx.get_xml_from_pdf(note.pdf, check_xsd=True)
    assert facturx.xml_check_xsd(xml, level="en16931")
    assert schematron_errors(xml, EN16931) == schematron_errors(xml, FR_CTC) == []
    tree = etree.fromstring(xml)

    def value(path: str) -> str:
        return tree.xpath(f"string({path})", namespaces=NAMESPACES)

    assert value("//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert value("//rsm:ExchangedDocument/ram:ID") == "AV-2026-000001"
    assert value("//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == invoice.number
    credited_on = "//ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString"
    assert value(credited_on) == "20260302"  # the invoice's own date, as the reform asks
    assert (
        value("//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount")
        == "153.10"
    )
