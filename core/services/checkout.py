"""Paying an invoice: the merchant's payment accounts, a fresh provider checkout per visit, and
the provider events that say what happened.

The provider is called outside any database transaction (a slow provider must not hold locks);
what it answered is then stored in one short transaction.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from core.errors import NotFound, ValidationError
from core.events import PaymentReceived, RefundIssued
from core.invoices import PAYABLE
from core.jobs import NewJob, PermanentJobError
from core.payments.bank_transfer import TransferDetails, transfer_details
from core.payments.provider import (
    CheckoutRequest,
    EventKind,
    PaymentMethod,
    PaymentProvider,
    ProviderEnvironment,
    ProviderEvent,
)
from core.payments.registry import provider_factory
from core.services import payments
from core.services.context import ServiceContext
from core.services.invoicing import customer_of, state_of
from core.storage.models import Checkout, Invoice, Merchant, Payment, PaymentAccount
from core.storage.models import ProviderEvent as InboxEvent

ACCOUNT_CREDENTIALS = "payment_accounts.credentials"
JOB_PROCESS_EVENT = "payments.process_event"


# Accounts --------------------------------------------------------------------------------------


def configure_payment_account(
    ctx: ServiceContext,
    env: ProviderEnvironment,
    merchant_id: int,
    provider: str,
    credentials: Mapping[str, Any],
    enabled: bool = True,
) -> PaymentAccount:
    """Add or update the merchant's account at `provider`; the credentials are checked by
    building the provider with them, then stored encrypted."""
    factory = provider_factory(provider)
    with ctx.db.transaction() as session:
        if session.get(Merchant, merchant_id) is None:
            raise NotFound(f"no merchant {merchant_id}")
        account = session.scalars(
            select(PaymentAccount).where(
                PaymentAccount.merchant_id == merchant_id, PaymentAccount.provider == provider
            )
        ).one_or_none()
        if account is None:
            count = session.scalar(
                select(func.count()).where(PaymentAccount.merchant_id == merchant_id)
            )
            account = PaymentAccount(
                merchant_id=merchant_id,
                provider=provider,
                position=count,
                credentials_ciphertext="",
                created_at=ctx.clock(),
            )
            session.add(account)
            session.flush()
        stored = factory.complete_credentials({**credentials, "account_id": account.id})
        factory(stored, env)  # refuses unusable credentials before anything is stored
        account.credentials_ciphertext = ctx.keyring.encrypt(
            json.dumps(stored), ACCOUNT_CREDENTIALS
        )
        account.enabled = enabled
        return account


def account_credentials(ctx: ServiceContext, account: PaymentAccount) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        ctx.keyring.decrypt(account.credentials_ciphertext, ACCOUNT_CREDENTIALS)
    )
    return loaded


def provider_for(
    ctx: ServiceContext, env: ProviderEnvironment, account: PaymentAccount
) -> PaymentProvider:
    return provider_factory(account.provider)(account_credentials(ctx, account), env)


@dataclass(frozen=True)
class PaymentOption:
    account_id: int
    provider: str
    method: PaymentMethod


def payment_options(ctx: ServiceContext, merchant_id: int) -> list[PaymentOption]:
    """The methods the merchant enabled, in the merchant's order (one per method)."""
    with ctx.db.transaction() as session:
        accounts = session.scalars(
            select(PaymentAccount)
            .where(PaymentAccount.merchant_id == merchant_id, PaymentAccount.enabled.is_(True))
            .order_by(PaymentAccount.position, PaymentAccount.id)
        ).all()
    options: dict[PaymentMethod, PaymentOption] = {}
    for account in accounts:
        for method in sorted(provider_factory(account.provider).methods):
            options.setdefault(method, PaymentOption(account.id, account.provider, method))
    return list(options.values())


def bank_transfer_details(ctx: ServiceContext, merchant_id: int) -> TransferDetails | None:
    """The merchant's bank details when bank transfer is offered, else None."""
    with ctx.db.transaction() as session:
        account = session.scalars(
            select(PaymentAccount).where(
                PaymentAccount.merchant_id == merchant_id,
                PaymentAccount.provider == "bank_transfer",
                PaymentAccount.enabled.is_(True),
            )
        ).one_or_none()
    return transfer_details(account_credentials(ctx, account)) if account else None


# Checkout --------------------------------------------------------------------------------------


def start_checkout(
    ctx: ServiceContext,
    env: ProviderEnvironment,
    invoice: Invoice,
    method: PaymentMethod,
    page_url: str,
) -> str:
    """Create a checkout for what is due now and return the provider's URL to send the
    customer to. The invoice must still be payable; the return URL never marks it paid."""
    if invoice.status not in PAYABLE:
        raise ValidationError(f"invoice {invoice.number} is {invoice.status.value}: nothing to pay")
    option = next(
        (o for o in payment_options(ctx, invoice.merchant_id) if o.method == method), None
    )
    if option is None:
        raise ValidationError(f"{method.value} is not offered for this invoice")
    with ctx.db.transaction() as session:
        account = session.get(PaymentAccount, option.account_id)
        merchant = session.get(Merchant, invoice.merchant_id)
        assert account is not None and merchant is not None
    provider = provider_for(ctx, env, account)
    due = state_of(invoice).amount_due
    customer = customer_of(invoice, ctx)
    attempt = secrets.token_hex(4)
    checkout = provider.create_checkout(
        CheckoutRequest(
            invoice_id=invoice.id,
            invoice_number=invoice.number,
            amount=due,
            method=method,
            description=f"{merchant.name} {invoice.number}",
            customer_email=customer.email,
            locale=customer.locale,
            return_url=f"{page_url}/return",
            cancel_url=page_url,
            idempotency_key=f"paylink-checkout-{invoice.id}-{attempt}",
        )
    )
    with ctx.db.transaction() as session:
        session.add(
            Checkout(
                invoice_id=invoice.id,
                account_id=account.id,
                provider=account.provider,
                provider_reference=checkout.provider_reference,
                method=method.value,
                amount=due.minor,
                currency=due.currency,
                created_at=ctx.clock(),
            )
        )
        ctx.record(
            session,
            invoice.id,
            "checkout_started",
            provider=account.provider,
            method=method.value,
            amount=due.minor,
        )
    return checkout.redirect_url


# Webhooks --------------------------------------------------------------------------------------


def receive_webhook(
    ctx: ServiceContext,
    env: ProviderEnvironment,
    provider_name: str,
    account_id: int,
    raw_body: bytes,
    headers: Mapping[str, str],
) -> bool:
    """Verify a provider webhook on its raw body, then store it with the job that processes it,
    in one transaction. Returns False for a delivery already stored (a replay)."""
    with ctx.db.transaction() as session:
        account = session.get(PaymentAccount, account_id)
    if account is None or account.provider != provider_name:
        raise NotFound("no such webhook endpoint")
    key = provider_for(ctx, env, account).event_key(raw_body, headers, ctx.clock())
    insert = postgresql.insert if ctx.db.engine.dialect.name == "postgresql" else sqlite.insert
    with ctx.db.transaction() as session:
        event_id = session.execute(
            insert(InboxEvent)
            .values(
                account_id=account.id,
                provider=provider_name,
                event_key=key,
                body=raw_body.decode("utf-8", errors="replace"),
                received_at=ctx.clock(),
            )
            .on_conflict_do_nothing(index_elements=["provider", "event_key"])
            .returning(InboxEvent.id)
        ).scalar_one_or_none()
        if event_id is None:
            return False
        ctx.enqueue(
            session,
            NewJob(
                JOB_PROCESS_EVENT,
                {"event_id": event_id},
                f"provider-event:{event_id}",
                ctx.clock(),
                account.merchant_id,
            ),
        )
    return True


def process_provider_event(ctx: ServiceContext, env: ProviderEnvironment, event_id: int) -> None:
    """Apply what a stored provider event says. Raises (so the job retries) when it cannot be
    applied yet, e.g. a refund that arrived before its payment."""
    with ctx.db.transaction() as session:
        inbox = session.get(InboxEvent, event_id)
        if inbox is None:
            raise NotFound(f"no provider event {event_id}")
        account = session.get(PaymentAccount, inbox.account_id)
        assert account is not None
    provider = provider_for(ctx, env, account)
    try:
        events = provider.parse_events(inbox.body.encode())
    except (ValueError, KeyError, TypeError) as error:
        # Signed by the provider but not in a shape we know: retrying cannot help.
        raise PermanentJobError(f"unreadable {provider.name} event: {error!r}") from error
    outcomes = [_apply(ctx, provider.name, event) for event in events]
    with ctx.db.transaction() as session:
        stored = session.get(InboxEvent, event_id)
        assert stored is not None
        stored.processed_at = ctx.clock()
        stored.outcome = ",".join(outcomes) or "empty"


def _invoice_for(ctx: ServiceContext, provider: str, event: ProviderEvent) -> int:
    """The invoice an event is about, found through our own records: the checkout it names,
    else the payment it names (refunds name only the payment)."""
    lookups = (
        (
            Checkout.invoice_id,
            Checkout.provider,
            Checkout.provider_reference,
            event.checkout_reference,
        ),
        (
            Payment.invoice_id,
            Payment.provider,
            Payment.provider_payment_id,
            event.payment_reference,
        ),
    )
    with ctx.db.transaction() as session:
        for invoice_column, provider_column, reference_column, reference in lookups:
            if reference is None:
                continue
            invoice_id = session.scalar(
                select(invoice_column).where(
                    provider_column == provider, reference_column == reference
                )
            )
            if invoice_id is not None:
                return int(invoice_id)
    raise NotFound(f"{provider} event names no checkout or payment of ours (yet)")


def _apply(ctx: ServiceContext, provider: str, event: ProviderEvent) -> str:
    if event.kind == EventKind.IGNORED:
        return "ignored"
    invoice_id = _invoice_for(ctx, provider, event)
    if event.kind == EventKind.PAID:
        assert event.amount is not None and event.payment_reference is not None
        payments.record_payment(
            ctx,
            PaymentReceived(
                provider,
                event.payment_reference,
                invoice_id,
                event.amount,
                event.occurred_at,
                event.method,
            ),
        )
    elif event.kind == EventKind.REFUNDED:
        assert event.amount is not None and event.refund_reference is not None
        payments.record_refund(
            ctx,
            RefundIssued(
                provider, event.refund_reference, invoice_id, event.amount, event.occurred_at
            ),
        )
    else:
        with ctx.db.transaction() as session:
            ctx.record(
                session,
                invoice_id,
                f"payment_{event.kind.value}",
                provider=provider,
                checkout=event.checkout_reference,
            )
    return event.kind.value
