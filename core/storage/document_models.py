"""Invoice documents as made: one per invoice and kind, by a database constraint; and credit
notes, one per refund, numbered in the merchant's own continuous series."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.models import Base


class InvoiceDocumentFile(Base):
    __tablename__ = "invoice_documents"
    __table_args__ = (UniqueConstraint("invoice_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    kind: Mapped[str] = mapped_column(String(16))  # invoice, credit_note
    facturx: Mapped[bool] = mapped_column(Boolean)  # the PDF carries its CII XML
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[datetime]


class CreditNote(Base):
    """A refund's credit note: its number is reserved first (so a retry after a crash keeps
    it and the series has no gap), its PDF filled in once made."""

    __tablename__ = "credit_notes"
    __table_args__ = (UniqueConstraint("refund_id"), UniqueConstraint("merchant_id", "number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"))
    number: Mapped[str] = mapped_column(String(40))
    issued_at: Mapped[datetime]
    facturx: Mapped[bool | None] = mapped_column(Boolean)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64))
    made_at: Mapped[datetime | None]
