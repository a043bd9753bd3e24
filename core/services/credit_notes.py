"""Credit notes: each refund gets its own document, made by the worker, numbered in the
merchant's continuous credit note series ("AV-2026-000001"), naming the invoice it credits.

A full refund repeats the invoice's lines; a partial one is a single line "refund on invoice
F-..." whose VAT is that of the invoice's main line (what was refunded is a share of it). The
number is reserved in a transaction of its own before the PDF is made (the refund's row is
unique), so a worker dying half-way leaves a number the retry reuses: no gap, no double.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.documents.texts import TEXTS
from core.errors import NotFound
from core.invoice_document import (
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    document_lines,
    make_document,
    split_gross,
)
from core.jobs import NewJob
from core.money import minor_unit_exponent
from core.page_texts import page_language
from core.services.context import ServiceContext
from core.services.documents import (
    DocumentEnvironment,
    DocumentView,
    amounts_of,
    buyer_of,
    document_pdf,
    issued_on,
)
from core.services.legal_details import seller_of
from core.storage.document_models import CreditNote
from core.storage.models import Invoice, Merchant, Refund

JOB_CREDIT_NOTE = "documents.credit_note"
PREFIX = "AV"  # avoir


def plan_credit_note(ctx: ServiceContext, session: Session, refund: Refund) -> None:
    """In the transaction recording the refund: the job making its credit note."""
    ctx.enqueue(
        session,
        NewJob(
            JOB_CREDIT_NOTE,
            {"refund_id": refund.id},
            f"credit-note:{refund.id}",
            ctx.clock(),
            refund.merchant_id,
        ),
    )


def _reserve(ctx: ServiceContext, refund: Refund) -> CreditNote:
    """The refund's credit note row with its number, made once: a worker losing the race
    rolls its whole transaction back (its number too) and takes the winner's row."""
    try:
        with ctx.db.transaction() as session:
            found = _note_of(session, refund.id)
            if found is not None:
                return found
            taken = session.execute(
                update(Merchant)
                .where(Merchant.id == refund.merchant_id)
                .values(last_credit_sequence=Merchant.last_credit_sequence + 1)
                .returning(Merchant.last_credit_sequence, Merchant.timezone)
            ).one()
            now = ctx.clock()
            year = now.astimezone(ZoneInfo(taken.timezone)).year
            note = CreditNote(
                merchant_id=refund.merchant_id,
                invoice_id=refund.invoice_id,
                refund_id=refund.id,
                number=f"{PREFIX}-{year}-{taken.last_credit_sequence:06d}",
                issued_at=now,
            )
            session.add(note)
            session.flush()
            return note
    except IntegrityError:
        with ctx.db.reading() as session:
            winner = _note_of(session, refund.id)
        assert winner is not None
        return winner


def _note_of(session: Session, refund_id: int) -> CreditNote | None:
    return session.scalars(
        select(CreditNote).where(CreditNote.refund_id == refund_id)
    ).one_or_none()


def credit_note_document(
    ctx: ServiceContext, invoice: Invoice, merchant: Merchant, refund: Refund, note: CreditNote
) -> InvoiceDocument:
    """What the credit note says: the refunded lines (all of them, or a share of the main
    one), the seller and buyer of the invoice, and the invoice's number."""
    words = TEXTS[page_language(None, invoice.customer_locale)]
    buyer, business = buyer_of(invoice, ctx)
    amounts = amounts_of(invoice)
    lines = document_lines(amounts, words["shipping"], words["discount"])
    if refund.amount != invoice.total:
        rate = max(lines, key=lambda line: line.net).rate if lines else Decimal(0)
        net, tax = split_gross(refund.amount, rate)
        label = words["refund_of"].format(number=invoice.number)
        lines = (DocumentLine(label, 1, Decimal(net), net, rate, tax),)
    zone = ZoneInfo(merchant.timezone)
    return make_document(
        kind=DocumentKind.CREDIT_NOTE,
        number=note.number,
        issued_on=note.issued_at.astimezone(zone).date(),
        currency=invoice.currency,
        exponent=minor_unit_exponent(invoice.currency),
        seller=seller_of(merchant),
        buyer=buyer,
        business=business,
        lines=lines,
        paid=0,
        due_on=None,
        penalty_rate=Decimal(merchant.penalty_rate) if merchant.penalty_rate else Decimal(0),
        payment_reference=None,
        preceding_number=invoice.number,
        preceding_issued_on=issued_on(invoice, zone),
    )


def make_credit_note(ctx: ServiceContext, env: DocumentEnvironment, refund_id: int) -> bool:
    """Make and keep a refund's credit note; False when it was made already (a retry)."""
    with ctx.db.reading() as session:
        refund = session.get(Refund, refund_id)
        if refund is None:
            raise NotFound(f"no refund {refund_id}")
    note = _reserve(ctx, refund)
    if note.pdf is not None:
        return False
    with ctx.db.reading() as session:
        invoice = session.get(Invoice, refund.invoice_id)
        merchant = session.get(Merchant, refund.merchant_id)
        assert invoice is not None and merchant is not None
        document = credit_note_document(ctx, invoice, merchant, refund, note)
        view = DocumentView(
            document,
            page_language(None, invoice.customer_locale),
            merchant,
            None,
            None,
            None,
            None,
        )
        legal_mentions = merchant.legal_mentions
    pdf = document_pdf(document, view, legal_mentions, env.logo_dir, None)
    with ctx.db.transaction() as session:
        # Locked: of two workers that made the PDF at once, the second sees the first's.
        stored = session.get(CreditNote, note.id, with_for_update=True)
        assert stored is not None
        if stored.pdf is not None:
            return False
        stored.pdf, stored.sha256 = pdf, hashlib.sha256(pdf).hexdigest()
        stored.facturx, stored.made_at = document.business, ctx.clock()
        ctx.record(session, invoice.id, "credit_note_made", number=note.number)
    return True


@dataclass(frozen=True)
class CreditNoteSummary:
    id: int
    number: str
    issued_at: datetime
    ready: bool


def credit_notes_of(ctx: ServiceContext, invoice_id: int) -> list[CreditNoteSummary]:
    """An invoice's credit notes, oldest first (the caller checked who may see them)."""
    with ctx.db.reading() as session:
        rows = session.execute(
            select(CreditNote.id, CreditNote.number, CreditNote.issued_at, CreditNote.made_at)
            .where(CreditNote.invoice_id == invoice_id)
            .order_by(CreditNote.id)
        ).all()
    return [CreditNoteSummary(r.id, r.number, r.issued_at, r.made_at is not None) for r in rows]


def credit_note_pdf(ctx: ServiceContext, invoice_id: int, note_id: int) -> CreditNote | None:
    """A made credit note of this invoice, or None."""
    with ctx.db.reading() as session:
        note = session.get(CreditNote, note_id)
        if note is None or note.invoice_id != invoice_id or note.pdf is None:
            return None
        return note
