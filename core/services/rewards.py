"""Early payers' discount codes: the merchant's offer, a code drawn when an invoice from a
store is paid in full in time, and the job that has the store make it.

The code is drawn and kept (unique per invoice) in the payment's own transaction, before the
store is asked: a retried job asks the store for the same code, and each connector finds a
code its store already has instead of making a second. The receipt waits a little for the
store's answer (`receipt_waits_for`), so the code can be in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.connector import Connector
from core.early_payer_reward import (
    DiscountCode,
    RewardKind,
    RewardOffer,
    offer_from_json,
    offer_to_json,
)
from core.errors import AccessRevoked, NotFound, StoreRefused
from core.jobs import NewJob, bring_forward
from core.services import accounts
from core.services.context import ServiceContext
from core.services.reminder_schedule import step_job_key
from core.services.store_secrets import store_ref
from core.storage.models import Invoice, Merchant, Store
from core.storage.reward_models import RewardCode

JOB_CREATE_CODE = "rewards.create_code"
#: The receipt's step name (core.services.after_payment plans it).
RECEIPT_STEP = "receipt"
#: How long a receipt may wait for the store to make its code before it goes without.
RECEIPT_WAIT = timedelta(minutes=10)


def offer_of(merchant: Merchant) -> RewardOffer | None:
    return offer_from_json(merchant.early_payer_reward) if merchant.early_payer_reward else None


def set_offer(ctx: ServiceContext, merchant_id: int, offer: RewardOffer | None) -> None:
    """Change the offer (None: no more codes); codes drawn already are kept."""
    with ctx.db.transaction() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        merchant.early_payer_reward = offer_to_json(offer) if offer else None


def plan_reward(
    ctx: ServiceContext, session: Session, invoice: Invoice, merchant: Merchant
) -> None:
    """In the transaction recording a payment in full: an invoice from a store, paid within
    the offer's window after it reached the customer, gets its code and the job making it."""
    offer = offer_of(merchant)
    if offer is None or invoice.store_id is None or invoice.paid_at is None:
        return
    if not offer.earned(invoice.opened_at or invoice.created_at, invoice.paid_at):
        return
    language = invoice.customer_locale.split("_")[0].split("-")[0]
    code = offer.code_for(language, ctx.clock(), invoice.currency)
    session.add(
        RewardCode(
            merchant_id=invoice.merchant_id,
            invoice_id=invoice.id,
            store_id=invoice.store_id,
            code=code.code,
            kind=code.kind.value,
            value=code.value,
            currency=code.currency,
            starts_at=code.starts_at,
            ends_at=code.ends_at,
            created_at=ctx.clock(),
        )
    )
    ctx.enqueue(
        session,
        NewJob(
            JOB_CREATE_CODE,
            {"invoice_id": invoice.id},
            f"reward:{invoice.id}",
            ctx.clock(),
            invoice.merchant_id,
        ),
    )


@dataclass(frozen=True)
class Reward:
    """A code as the customer reads it (made in the store) or the console shows it."""

    code: DiscountCode
    made: bool
    failure: str | None


def _reward(row: RewardCode) -> Reward:
    return Reward(
        DiscountCode(
            row.code, RewardKind(row.kind), row.value, row.currency, row.starts_at, row.ends_at
        ),
        row.store_ref is not None,
        row.failure,
    )


def _code_row(session: Session, invoice_id: int) -> RewardCode | None:
    """An invoice's code (one at most: unique per invoice)."""
    return session.scalars(select(RewardCode).where(RewardCode.invoice_id == invoice_id)).first()


def reward_of(session: Session, invoice_id: int) -> Reward | None:
    row = _code_row(session, invoice_id)
    return _reward(row) if row else None


def invoice_reward(ctx: ServiceContext, invoice_id: int) -> Reward | None:
    with ctx.db.transaction() as session:
        return reward_of(session, invoice_id)


def receipt_waits_for(session: Session, invoice_id: int, now: datetime) -> datetime | None:
    """Until when a receipt should wait for its code: None when there is nothing to wait for
    (no code, made already, refused, or waited long enough)."""
    row = _code_row(session, invoice_id)
    if row is None or row.store_ref is not None or row.failure is not None:
        return None
    until = row.created_at + RECEIPT_WAIT
    return min(until, now + timedelta(minutes=1)) if now < until else None


def create_code(ctx: ServiceContext, connectors: dict[str, Connector], invoice_id: int) -> None:
    """Have the store make the invoice's code (once: a made code is not asked again)."""
    with ctx.db.transaction() as session:
        row = _code_row(session, invoice_id)
        if row is None:
            raise NotFound(f"no reward code for invoice {invoice_id}")
        if row.store_ref is not None or row.failure is not None:
            return
        store = session.get(Store, row.store_id)
        invoice = session.get(Invoice, invoice_id)
        assert store is not None and invoice is not None
        code, number = _reward(row).code, invoice.number
    store_ref_made: str | None = None
    failure: str | None = None
    try:
        if not store.active or store.platform not in connectors:
            failure = "the store is no longer connected"
        else:
            connector = connectors[store.platform]
            store_ref_made = connector.create_discount_code(
                store_ref(ctx, store), code, code.title(number)
            )
    except StoreRefused as refused:
        failure = str(refused)
    except AccessRevoked as revoked:
        failure = accounts.disconnect_refused_store(ctx, store, revoked)
    with ctx.db.transaction() as session:
        row = _code_row(session, invoice_id)
        assert row is not None
        row.store_ref, row.failure = store_ref_made, failure and failure[:255]
        if failure:
            ctx.record(session, invoice_id, "reward_code_failed", code=code.code, reason=failure)
        else:
            ctx.record(session, invoice_id, "reward_code_created", code=code.code)
        bring_forward(session, step_job_key(invoice_id, RECEIPT_STEP), ctx.clock())
