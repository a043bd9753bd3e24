"""Bank statements and their lines, as reconciliation stores them.

Duplicates are stopped here: one statement per (merchant, account, statement id), one line per
(merchant, account, line key) whatever file brings it again, one share per (line, invoice).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.reconcile import Direction
from core.storage.models import Base, Payment, _enum


class BankLineState(enum.StrEnum):
    MATCHED = "matched"  # paid an invoice (or several): by its reference, or by a person
    UNMATCHED = "unmatched"  # a credit no reference settles: waits in the exceptions queue
    IGNORED = "ignored"  # a credit a person said is not an invoice's (a refund, a gift...)
    DEBIT = "debit"  # money out: recorded, nothing to match
    REVERSAL = "reversal"  # the bank took back an earlier credit (see `reverses_line_id`)
    REVERSED = "reversed"  # a matched credit the bank took back: its payments were undone
    PAYOUT = "payout"  # a provider's payout arriving (see `ProviderPayout.bank_line_id`)


class BankStatement(Base):
    __tablename__ = "bank_statements"
    __table_args__ = (UniqueConstraint("merchant_id", "account_iban", "statement_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    account_iban: Mapped[str] = mapped_column(String(34))
    statement_ref: Mapped[str] = mapped_column(String(140))  # Stmt/Id, or a CSV file's digest
    format: Mapped[str] = mapped_column(String(40))
    imported_at: Mapped[datetime]
    imported_by: Mapped[str] = mapped_column(String(200))
    line_count: Mapped[int] = mapped_column(Integer, default=0)


class BankLine(Base):
    __tablename__ = "bank_lines"
    __table_args__ = (
        UniqueConstraint("merchant_id", "account_iban", "line_key"),
        Index("ix_bank_lines_merchant_state", "merchant_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"), index=True)
    account_iban: Mapped[str] = mapped_column(String(34))
    line_key: Mapped[str] = mapped_column(String(200))
    state: Mapped[BankLineState] = mapped_column(_enum(BankLineState, "bank_line_state"))
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "bank_line_direction"))
    reversal: Mapped[bool] = mapped_column(Boolean, default=False)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    booking_date: Mapped[date | None] = mapped_column(Date)
    value_date: Mapped[date | None] = mapped_column(Date)
    bank_reference: Mapped[str | None] = mapped_column(String(140))
    end_to_end_id: Mapped[str | None] = mapped_column(String(140))
    structured_references: Mapped[list[str]] = mapped_column(JSON, default=list)
    remittance: Mapped[str] = mapped_column(Text, default="")
    debtor_name: Mapped[str | None] = mapped_column(String(140))
    debtor_iban: Mapped[str | None] = mapped_column(String(34))
    #: How the line was matched: a `core.reconcile.MatchRule` value.
    rule: Mapped[str | None] = mapped_column(String(32))
    #: The exceptions queue's best guesses: [{"invoice_id", "score", "reasons"}].
    suggestions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reverses_line_id: Mapped[int | None] = mapped_column(ForeignKey("bank_lines.id"))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]
    imported_at: Mapped[datetime]

    shares: Mapped[list[BankLineShare]] = relationship(
        order_by="BankLineShare.id", lazy="selectin", cascade="all, delete-orphan"
    )


class BankLineShare(Base):
    """The part of a bank line that paid one invoice, and the payment it became."""

    __tablename__ = "bank_line_shares"
    __table_args__ = (UniqueConstraint("line_id", "invoice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("bank_lines.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    payment: Mapped[Payment] = relationship(lazy="raise")


class BankCsvProfile(Base):
    """A merchant's own CSV layout for their bank (`core.bank_statements.CsvProfile`), saved
    once and named at each import."""

    __tablename__ = "bank_csv_profiles"
    __table_args__ = (UniqueConstraint("merchant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    name: Mapped[str] = mapped_column(String(60))
    layout: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class ProviderPayout(Base):
    """A provider's payout to the merchant's bank, as the provider reported it, and the bank
    line it arrived on once a statement showed it."""

    __tablename__ = "provider_payouts"
    __table_args__ = (
        UniqueConstraint("account_id", "payout_ref"),
        Index("ix_provider_payouts_merchant_waiting", "merchant_id", "amount", "bank_line_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("payment_accounts.id"))
    provider: Mapped[str] = mapped_column(String(32))
    payout_ref: Mapped[str] = mapped_column(String(255))  # po_..., PO...
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    fees: Mapped[int] = mapped_column(BigInteger)
    arrival_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    bank_reference: Mapped[str | None] = mapped_column(String(140))
    bank_line_id: Mapped[int | None] = mapped_column(ForeignKey("bank_lines.id"), unique=True)
    synced_at: Mapped[datetime]


class PayoutItem(Base):
    """One payment a payout carried, with the provider's fee on it; `payment_id` once Paylink
    knows the payment (a payout can hold payments of other integrations too)."""

    __tablename__ = "payout_items"
    __table_args__ = (UniqueConstraint("payout_id", "provider_payment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("provider_payouts.id"))
    provider_payment_id: Mapped[str] = mapped_column(String(255))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    gross: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)
