"""Daily figures the worker keeps per merchant (`core.kpis.DayFigures`), so the dashboard
reads a few hundred rows whatever the number of invoices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.models import Base


class DailyFigures(Base):
    __tablename__ = "daily_figures"
    __table_args__ = (UniqueConstraint("merchant_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    day: Mapped[date] = mapped_column(Date)
    sent: Mapped[int] = mapped_column(Integer)
    viewed: Mapped[int] = mapped_column(Integer)
    started: Mapped[int] = mapped_column(Integer)
    paid: Mapped[int] = mapped_column(Integer)
    due: Mapped[int] = mapped_column(Integer)
    late: Mapped[int] = mapped_column(Integer)
    collected: Mapped[int] = mapped_column(BigInteger)
    cart_sent: Mapped[int] = mapped_column(Integer)
    cart_paid: Mapped[int] = mapped_column(Integer)
    cart_collected: Mapped[int] = mapped_column(BigInteger)
    sms_segments: Mapped[int] = mapped_column(Integer)
    sms_cost_micros: Mapped[int] = mapped_column(BigInteger)
    delay_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    paid_after_step: Mapped[dict[str, Any]] = mapped_column(JSON)
    by_channel: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    by_method: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    provider_fees: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    new_payers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    by_store: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    refreshed_at: Mapped[datetime]


class AcquisitionSpend(Base):
    """What the merchant spent in a month on one acquisition channel (minor units of its
    currency): the dashboard divides it by the new paying customers (`core.kpis.spend_in`)."""

    __tablename__ = "acquisition_spend"
    __table_args__ = (UniqueConstraint("merchant_id", "month", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    month: Mapped[date] = mapped_column(Date)  # its first day
    channel: Mapped[str] = mapped_column(String(60))
    amount: Mapped[int] = mapped_column(BigInteger)
    entered_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
