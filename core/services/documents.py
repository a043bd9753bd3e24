"""Invoice documents, made by the worker when an invoice opens and kept: the PDF every customer
can download, a Factur-X file for business customers.

An issued invoice is a legal document: it is made once, from the invoice as it was issued
(one row per invoice and kind, by a database constraint, whatever the number of workers), and
served as stored afterwards; a payment received later does not rewrite it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.documents.cii import cii_xml, french_notes
from core.documents.pdf import logo_file_url, render_pdf, with_facturx
from core.documents.texts import TEXTS
from core.errors import NotFound
from core.invoice_document import (
    RECOVERY_INDEMNITY_EUR,
    Amounts,
    DocumentKind,
    InvoiceDocument,
    Party,
    SourceLine,
    document_lines,
    make_document,
)
from core.links import payment_url
from core.money import Money, minor_unit_exponent
from core.page_texts import page_language
from core.payments.bank_transfer import TransferDetails, creditor_reference
from core.services import invoicing, payment_accounts
from core.services.context import ServiceContext
from core.services.legal_details import seller_of
from core.storage.database import insert_once
from core.storage.document_models import InvoiceDocumentFile
from core.storage.models import Invoice, Merchant

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
_JINJA = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=False
)
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


@dataclass(frozen=True)
class DocumentEnvironment:
    """What the worker needs to make documents: where logos are, and the public address."""

    logo_dir: Path | None  # None: documents show the shop's name instead of its logo
    base_url: str


def buyer_of(invoice: Invoice, ctx: ServiceContext) -> tuple[Party, bool]:
    """The buyer, and whether it is a business (it was given with its company's identity)."""
    customer = invoicing.customer_of(invoice, ctx)
    if invoice.buyer:
        return Party(**invoice.buyer, email=customer.email), True
    return Party(customer.name, email=customer.email), False


def amounts_of(invoice: Invoice) -> Amounts:
    """The invoice's own figures, as a document is built from them."""
    return Amounts(
        lines=[SourceLine(ln.label, ln.quantity, ln.unit_price, ln.tax) for ln in invoice.lines],
        shipping=invoice.shipping,
        discount=invoice.discount,
        taxes_included=invoice.taxes_included,
        total=invoice.total,
    )


def issued_on(invoice: Invoice, zone: ZoneInfo) -> date:
    """The invoice's date: the day it was issued (opened), on the merchant's calendar."""
    return (invoice.opened_at or invoice.created_at).astimezone(zone).date()


def invoice_document(ctx: ServiceContext, invoice: Invoice, merchant: Merchant) -> InvoiceDocument:
    """The invoice as issued: its lines, VAT, totals and terms."""
    language = page_language(None, invoice.customer_locale)
    words = TEXTS[language]
    buyer, business = buyer_of(invoice, ctx)
    zone = ZoneInfo(merchant.timezone)
    amounts = amounts_of(invoice)
    return make_document(
        kind=DocumentKind.INVOICE,
        number=invoice.number,
        issued_on=issued_on(invoice, zone),
        currency=invoice.currency,
        exponent=minor_unit_exponent(invoice.currency),
        seller=seller_of(merchant),
        buyer=buyer,
        business=business,
        lines=document_lines(amounts, words["shipping"], words["discount"]),
        paid=0,
        due_on=invoice.due_at.astimezone(zone).date() if invoice.due_at else None,
        penalty_rate=Decimal(merchant.penalty_rate) if merchant.penalty_rate else Decimal(0),
        payment_reference=creditor_reference(invoice.number),
    )


class DocumentView:
    """The document's figures and words in its language, for the template."""

    def __init__(
        self,
        document: InvoiceDocument,
        language: str,
        merchant: Merchant,
        logo: str | None,
        pay_link: str | None,
        transfer: tuple[str, str | None] | None,
        early: tuple[int, date] | None,
    ) -> None:
        self.d, self.language, self.locale = document, language, LOCALES[language]
        self.brand, self.logo, self.pay_link = merchant.brand_color, logo, pay_link
        self.legal_mentions = merchant.legal_mentions
        self.indemnity = RECOVERY_INDEMNITY_EUR
        rate = merchant.penalty_rate
        self.penalties = (
            self.t("penalties", rate=self.number(Decimal(rate)))
            if rate
            else self.t("penalties_default")
        )
        self.early = (
            self.t("early_discount", amount=self.money(early[0]), date=self.date(early[1]))
            if early
            else self.t("no_early_discount")
        )
        self.transfer = (
            self.t(
                "pay_by_transfer",
                iban=transfer[0],
                bic=f" (BIC {transfer[1]})" if transfer[1] else "",
                reference=document.payment_reference,
            )
            if transfer
            else None
        )

    def t(self, key: str, **values: object) -> str:
        return TEXTS[self.language][key].format(**values)

    def money(self, minor: int | Decimal) -> str:
        if isinstance(minor, int):
            return Money(minor, self.d.currency).format(self.locale)
        major = Decimal(minor).scaleb(-self.d.exponent)  # a unit price: up to 4 decimals
        return str(
            format_currency(
                major.quantize(Decimal("0.0001")).normalize(),
                self.d.currency,
                locale=self.locale,
                decimal_quantization=False,
            )
        )

    def number(self, value: Decimal) -> str:
        return str(format_decimal(value, "#,##0.##", locale=self.locale))

    def percent(self, rate: Decimal) -> str:
        return f"{self.number(rate)}\u00a0%" if self.language == "fr" else f"{self.number(rate)}%"

    def date(self, day: date) -> str:
        return str(format_date(day, "long", locale=self.locale))


def make_invoice_document(ctx: ServiceContext, env: DocumentEnvironment, invoice_id: int) -> bool:
    """Make and keep the invoice's document; False when it was made already (a retried job)."""
    with ctx.db.reading() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None:
            raise NotFound(f"no invoice {invoice_id}")
        if _stored(session, invoice_id) is not None:
            return False
        merchant = session.get(Merchant, invoice.merchant_id)
        assert merchant is not None
        document = invoice_document(ctx, invoice, merchant)
        language = page_language(None, invoice.customer_locale)
        early = (
            (
                invoice.early_discount,
                invoice.early_discount_until.astimezone(ZoneInfo(merchant.timezone)).date(),
            )
            if invoice.early_discount and invoice.early_discount_until
            else None
        )
        code, merchant_id = invoice.link_code, merchant.id
        details = payment_accounts.bank_transfer_details(ctx, merchant_id)
        view = DocumentView(
            document,
            language,
            merchant,
            logo_file_url(merchant.logo_url, env.logo_dir, env.base_url),
            payment_url(env.base_url, code),
            (details.iban_grouped, details.bic) if details else None,
            early,
        )
        legal_mentions = merchant.legal_mentions
    pdf = document_pdf(document, view, legal_mentions, env.logo_dir, details)
    with ctx.db.transaction() as session:
        made = insert_once(
            session,
            InvoiceDocumentFile,
            {
                "invoice_id": invoice_id,
                "kind": DocumentKind.INVOICE.value,
                "facturx": document.business,
                "pdf": pdf,
                "sha256": hashlib.sha256(pdf).hexdigest(),
                "made_at": ctx.clock(),
            },
            ["invoice_id", "kind"],
        )
        if made is not None:
            ctx.record(session, invoice_id, "document_made", facturx=document.business)
    return made is not None


def document_pdf(
    document: InvoiceDocument,
    view: DocumentView,
    legal_mentions: str | None,
    logo_dir: Path | None,
    details: TransferDetails | None,
) -> bytes:
    """The PDF of an invoice or a credit note; for a business buyer, a Factur-X file (its
    EN 16931 XML embedded)."""
    html = _JINJA.get_template("documents/invoice.html").render(d=document, v=view)
    pdf = render_pdf(html, logo_dir)
    if not document.business:
        return pdf
    notes = french_notes(view.language, document.penalty_rate, legal_mentions, True)
    notes["AAB"] = view.early
    xml = cii_xml(
        document, notes, details.iban if details else None, details.bic if details else None
    )
    return with_facturx(pdf, xml, document.number, view.language)


def _stored(session: Session, invoice_id: int) -> InvoiceDocumentFile | None:
    return session.scalars(
        select(InvoiceDocumentFile).where(
            InvoiceDocumentFile.invoice_id == invoice_id,
            InvoiceDocumentFile.kind == DocumentKind.INVOICE.value,
        )
    ).one_or_none()


def invoice_pdf(ctx: ServiceContext, invoice_id: int) -> InvoiceDocumentFile | None:
    """The stored document of an invoice (the caller checked who may see it), or None while
    the worker has not made it yet."""
    with ctx.db.reading() as session:
        return _stored(session, invoice_id)
