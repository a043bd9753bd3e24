"""The provider side of automatic payment (`core.services.autopay`), in jobs: read what a paid
checkout kept, charge a period, and hand a period whose charge never got an answer to its link.

Providers are called outside any transaction. A charge's idempotency key is its invoice's, so a
retried job (a lost answer, a crash) is the same charge at the provider; its payment is then
recorded like any provider event, through the payment account it was made on.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from sqlalchemy import select

from core.errors import NotFound
from core.invoices import PAYABLE, Autopay
from core.payments.provider import (
    ChargeRequest,
    PaymentMethod,
    ProviderEnvironment,
    ProviderEvent,
    SavesPaymentMethods,
)
from core.payments.registry import provider_factory
from core.services import autopay, provider_events
from core.services.context import ServiceContext
from core.services.invoicing import state_of
from core.services.payment_accounts import provider_for
from core.storage.database import insert_once
from core.storage.models import Checkout, Invoice, Merchant, PaymentAccount
from core.storage.recurring_models import RecurringSchedule


def _saving(
    ctx: ServiceContext, env: ProviderEnvironment, account: PaymentAccount
) -> SavesPaymentMethods:
    """The account's provider as one that keeps methods (checked when the customer agreed:
    only such a provider's checkout or schedule gets here)."""
    if not provider_factory(account.provider).saves_methods:
        raise NotFound(f"{account.provider} keeps no payment method")
    return cast(SavesPaymentMethods, provider_for(ctx, env, account))


def save_method(ctx: ServiceContext, env: ProviderEnvironment, checkout_id: int) -> None:
    """Read what the provider kept of a paid checkout whose customer agreed, and keep it on
    their subscription."""
    with ctx.db.reading() as session:
        checkout = session.get(Checkout, checkout_id)
        account = session.get(PaymentAccount, checkout.account_id) if checkout else None
    if checkout is None or account is None:
        raise NotFound(f"no checkout {checkout_id}")
    saved = _saving(ctx, env, account).saved_method(checkout.provider_reference)
    autopay.keep_method(ctx, checkout, account, saved)


def charge(ctx: ServiceContext, env: ProviderEnvironment, invoice_id: int) -> None:
    """Charge a period to its subscription's saved method. Refused, or the method gone: the
    link takes over at once. Paid: recorded as any payment (the receipt follows). Pending (a
    debit): the provider's events settle it."""
    with ctx.db.reading() as session:
        invoice = session.get(Invoice, invoice_id)
        if invoice is None or invoice.autopay != Autopay.PENDING or invoice.status not in PAYABLE:
            return
        schedule_id = autopay.schedule_id_of(invoice)
        schedule = session.get(RecurringSchedule, schedule_id) if schedule_id else None
        account_id = schedule.autopay_account_id if schedule else None
        account = session.get(PaymentAccount, account_id) if account_id else None
        merchant = session.get(Merchant, invoice.merchant_id)
        assert merchant is not None
    if (
        schedule is None
        or account is None
        or schedule.autopay_ciphertext is None
        or not account.enabled
        or account.merchant_id != invoice.merchant_id
        or account.provider in env.disabled_providers
    ):
        autopay.fall_back(ctx, invoice_id, "method_unavailable")
        return
    amount = state_of(invoice).amount_due_at(ctx.clock())
    answer = _saving(ctx, env, account).charge_saved(
        ChargeRequest(
            invoice_id=invoice.id,
            invoice_number=invoice.number,
            amount=amount,
            description=f"{merchant.name} {invoice.number}",
            saved_reference=ctx.keyring.decrypt(schedule.autopay_ciphertext, autopay.SAVED_CONTEXT),
            idempotency_key=f"paylink-autopay-{invoice.id}",
        )
    )
    answer = replace(answer, occurred_at=ctx.clock())  # answered now, as this worker's clock says
    if answer.checkout_reference is None:  # refused before any payment existed
        autopay.fall_back(ctx, invoice_id, answer.reason or "refused")
        return
    _record_charge(ctx, invoice, account, answer, amount.minor)
    provider_events.apply_events(ctx, account, [answer])


def _record_charge(
    ctx: ServiceContext,
    invoice: Invoice,
    account: PaymentAccount,
    answer: ProviderEvent,
    amount: int,
) -> None:
    """The charge as one of the invoice's checkouts (once, whatever the retries): the
    provider's later events about it find the invoice through this account's own row."""
    with ctx.db.transaction() as session:
        created = insert_once(
            session,
            Checkout,
            {
                "invoice_id": invoice.id,
                "account_id": account.id,
                "provider": account.provider,
                "provider_reference": answer.checkout_reference,
                "payment_reference": answer.payment_reference,
                "method": answer.method or PaymentMethod.CARD.value,
                "amount": amount,
                "currency": invoice.currency,
                "save_method": False,
                "created_at": ctx.clock(),
            },
            ["account_id", "provider_reference"],
        )
        if created is not None:
            ctx.record(
                session, invoice.id, "autopay_charged", provider=account.provider, amount=amount
            )


def deadline(ctx: ServiceContext, invoice_id: int) -> None:
    """A day after a period was issued: if its charge never reached the provider, the link
    takes over (a charge that did is settled by the provider's answer or events)."""
    with ctx.db.reading() as session:
        charged = session.scalar(
            select(Checkout.id).where(Checkout.invoice_id == invoice_id).limit(1)
        )
    if charged is None:
        autopay.fall_back(ctx, invoice_id, "no_answer")
