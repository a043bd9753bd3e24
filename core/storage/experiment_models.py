"""A/B tests of messages and their assignments: one arm per (experiment, invoice), by a
database constraint, whatever the number of workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.models import Base


class Experiment(Base):
    __tablename__ = "experiments"
    __table_args__ = (Index("ix_experiments_merchant_status", "merchant_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    name: Mapped[str] = mapped_column(String(120))
    step: Mapped[str] = mapped_column(String(48))  # the reminder step tested ("reminder-1")
    kind: Mapped[str] = mapped_column(String(32))  # its message kind (whose texts B replaces)
    locale: Mapped[str] = mapped_column(String(16))
    b_sms: Mapped[str] = mapped_column(Text)
    b_subject: Mapped[str] = mapped_column(Text)
    b_body: Mapped[str] = mapped_column(Text)
    #: Variant B's channel ("sms", "email") when it differs from the step's; None: the same.
    b_channel: Mapped[str | None] = mapped_column(String(8))
    #: Hours variant B goes out after the step's time (0: at the same time).
    b_delay_hours: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    b_percent: Mapped[int] = mapped_column(Integer)
    holdout_percent: Mapped[int] = mapped_column(Integer)
    window_days: Mapped[int] = mapped_column(Integer)  # paid within this many days counts
    status: Mapped[str] = mapped_column(String(16))  # running, stopped
    winner: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    stopped_by: Mapped[str | None] = mapped_column(String(200))


class ExperimentAssignment(Base):
    __tablename__ = "experiment_assignments"
    __table_args__ = (UniqueConstraint("experiment_id", "invoice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    arm: Mapped[str] = mapped_column(String(16))
    assigned_at: Mapped[datetime]
