"""Recurring invoice schedules: what each period's invoice holds, when the next one is due,
and how many were issued. Each period's invoice is keyed (schedule, period), so a period is
invoiced once whatever the workers or crashes."""

from __future__ import annotations

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
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.models import Base


class RecurringSchedule(Base):
    __tablename__ = "recurring_schedules"
    __table_args__ = (
        UniqueConstraint("merchant_id", "reference"),
        Index("ix_recurring_due", "status", "next_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    reference: Mapped[str] = mapped_column(String(255))  # the caller's, unique per merchant
    status: Mapped[str] = mapped_column(String(16))  # active, paused, cancelled, ended
    frequency: Mapped[str] = mapped_column(String(16))  # weekly, monthly, yearly
    start_on: Mapped[date] = mapped_column(Date)
    end_after: Mapped[int | None] = mapped_column(Integer)
    end_on: Mapped[date | None] = mapped_column(Date)
    issued: Mapped[int] = mapped_column(Integer, default=0)  # periods invoiced so far
    next_on: Mapped[date | None] = mapped_column(Date)  # None once over or cancelled
    customer_name: Mapped[str] = mapped_column(String(200))
    #: Email, phone and language, encrypted together (they are personal data).
    customer_ciphertext: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    #: The lines of the next period's invoice: [{label, quantity, unit_price, tax, sku}].
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    shipping: Mapped[int] = mapped_column(BigInteger, default=0)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)
    taxes_included: Mapped[bool] = mapped_column(Boolean, default=True)
    payment_terms_days: Mapped[int] = mapped_column(Integer)
    buyer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The payment method the customer agreed to have charged for each period (`core.services
    #: .autopay`): the account that keeps it, its reference there (encrypted), its name.
    autopay_account_id: Mapped[int | None] = mapped_column(ForeignKey("payment_accounts.id"))
    autopay_ciphertext: Mapped[str | None] = mapped_column(Text)
    autopay_label: Mapped[str | None] = mapped_column(String(64))
    autopay_since: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
