"""What the store platforms' order tests share: the rows of a table, a payment recorded on an
invoice as a provider's webhook would, and the last outcome pushed to the store."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.events import PaymentReceived
from core.money import Money
from core.services import payments
from core.services.context import ServiceContext
from core.services.invoice_queries import invoice_timeline


def rows(ctx: ServiceContext, model: Any) -> list[Any]:
    with ctx.db.transaction() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def pay(
    ctx: ServiceContext, invoice: Any, amount: int = 4090, reference: str = "pi_3Nq8Xb"
) -> None:
    payments.record_payment(
        ctx, PaymentReceived("sandbox", reference, invoice.id, Money(amount, "EUR"), ctx.clock())
    )


def pushed_outcome(ctx: ServiceContext, invoice: Any) -> str:
    """What the last push to the store did, as the invoice's timeline says."""
    events = invoice_timeline(ctx, invoice.merchant_id, invoice.id)
    outcome: str = [e.data["outcome"] for e in events if e.kind == "store_updated"][-1]
    return outcome
