"""What merchants spend to acquire customers, month by month and channel by channel: the
dashboard divides it by the new paying customers of a period (`core.kpis.spend_in`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from core.errors import ValidationError
from core.kpis import Period, Spend
from core.services.context import ServiceContext
from core.storage.figures_models import AcquisitionSpend

CHANNEL_MAX = 60
#: A month's spend above this (in minor units: 100 million euros) is a typing mistake.
SPEND_MAX = 10_000_000_000


def set_spend(
    ctx: ServiceContext,
    merchant_id: int,
    month: date,
    channel: str,
    amount: int,
    entered_by: str,
) -> None:
    """Enter (or correct) a month's spend on a channel; zero removes it."""
    channel = " ".join(channel.split())
    if not channel or len(channel) > CHANNEL_MAX:
        raise ValidationError(
            f"name the channel in 1 to {CHANNEL_MAX} characters",
            key="spend_channel",
            most=CHANNEL_MAX,
        )
    if not 0 <= amount <= SPEND_MAX:
        raise ValidationError("a spend is a positive amount", key="spend_amount")
    first = month.replace(day=1)
    with ctx.db.transaction() as session:
        if amount == 0:
            session.execute(
                delete(AcquisitionSpend).where(
                    AcquisitionSpend.merchant_id == merchant_id,
                    AcquisitionSpend.month == first,
                    AcquisitionSpend.channel == channel,
                )
            )
            return
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        values = {"amount": amount, "entered_by": entered_by[:200], "updated_at": ctx.clock()}
        session.execute(
            dialect.insert(AcquisitionSpend)
            .values(merchant_id=merchant_id, month=first, channel=channel, **values)
            .on_conflict_do_update(index_elements=["merchant_id", "month", "channel"], set_=values)
        )


def spend_entries(ctx: ServiceContext, merchant_id: int, period: Period) -> list[Spend]:
    """The months' entries that overlap the period, oldest first."""
    with ctx.db.reading() as session:
        rows = session.execute(
            select(AcquisitionSpend.month, AcquisitionSpend.channel, AcquisitionSpend.amount)
            .where(
                AcquisitionSpend.merchant_id == merchant_id,
                AcquisitionSpend.month >= period.start.replace(day=1),
                AcquisitionSpend.month <= period.end,
            )
            .order_by(AcquisitionSpend.month, AcquisitionSpend.channel)
        ).all()
    return [Spend(row.month, row.channel, row.amount) for row in rows]
