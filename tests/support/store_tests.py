"""What the store platforms' order tests share: the rows of a table, a payment recorded on an
invoice as a provider's webhook would, the last outcome pushed to the store, and an early
payer's invoice with why its thank-you code was not made."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from core.early_payer_reward import RewardOffer
from core.events import PaymentReceived
from core.money import Money
from core.services import payments, rewards
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


def paid_early(
    ctx: ServiceContext,
    merchant_id: int,
    offer: RewardOffer,
    place_order: Callable[[], object],
    run_jobs: Callable[[], None],
    clock: Any,
) -> Any:
    """The merchant offers `offer`; an order placed in the store (its invoice made by the
    worker) is paid in full two hours later, and the worker runs what follows."""
    from core.storage.models import Invoice

    rewards.set_offer(ctx, merchant_id, offer)
    place_order()
    run_jobs()
    (invoice,) = rows(ctx, Invoice)
    clock.advance(hours=2)
    pay(ctx, invoice)
    run_jobs()
    return invoice


def reward_failure(ctx: ServiceContext, invoice: Any) -> str:
    """Why the store did not make the invoice's code, as its timeline says."""
    events = invoice_timeline(ctx, invoice.merchant_id, invoice.id)
    (failed,) = [e for e in events if e.kind == "reward_code_failed"]
    reason: str = failed.data["reason"]
    return reason
