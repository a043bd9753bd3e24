"""Early payers' discount codes: one per invoice (a database constraint, whatever retries or
workers), unique within its store, drawn before the store is asked and kept until it says."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.models import Base


class RewardCode(Base):
    __tablename__ = "reward_codes"
    __table_args__ = (UniqueConstraint("invoice_id"), UniqueConstraint("store_id", "code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))  # core.early_payer_reward.RewardKind
    value: Mapped[int] = mapped_column(BigInteger)  # percent, or minor units of `currency`
    currency: Mapped[str] = mapped_column(String(3))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    #: The store's own id for the code once it made it; None until then.
    store_ref: Mapped[str | None] = mapped_column(String(255))
    #: Why the store could not make it (a permission missing), when it could not.
    failure: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
