"""Paying an invoice: a fresh provider checkout per visit of the payment page, and a look at
the checkout when the customer comes back.

The provider is called outside any database transaction (a slow provider must not hold locks);
what it answered is then stored in one short transaction.
"""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.errors import OutsideServiceFailed, ValidationError
from core.invoices import PAYABLE
from core.jobs import NewJob
from core.payments.provider import (
    CheckoutRequest,
    Instalment,
    PaymentMethod,
    ProviderEnvironment,
    origin_of,
)
from core.payments.registry import allowed_checkout_origins, provider_factory
from core.services import autopay
from core.services.context import ServiceContext
from core.services.invoicing import customer_of, state_of
from core.services.payment_accounts import instalment_plan, payment_options, provider_for
from core.storage.models import Checkout, Invoice, Merchant, PaymentAccount

JOB_SETTLE_CHECKOUT = "payments.settle_checkout"


def start_checkout(
    ctx: ServiceContext,
    env: ProviderEnvironment,
    invoice: Invoice,
    method: PaymentMethod,
    page_url: str,
    save_method: bool = False,
) -> str:
    """Create a checkout for what is due now and return the provider's URL to send the
    customer to. The invoice must still be payable; the return URL never marks it paid.
    `save_method`: the customer agreed that this method pays their subscription's next
    periods (honoured where the subscription runs and the provider keeps the method)."""
    if invoice.status not in PAYABLE:
        raise ValidationError(f"invoice {invoice.number} is {invoice.status.value}: nothing to pay")
    option = next(
        (o for o in payment_options(ctx, invoice.merchant_id) if o.method == method), None
    )
    allowed = invoice.allowed_methods  # a billing rule's choice for this invoice
    if option is None or (allowed is not None and method.value not in allowed):
        raise ValidationError(f"{method.value} is not offered for this invoice")
    with ctx.db.transaction() as session:
        account = session.get(PaymentAccount, option.account_id)
        merchant = session.get(Merchant, invoice.merchant_id)
        assert account is not None and merchant is not None
    provider = provider_for(ctx, env, account)
    save = save_method and autopay.may_save(ctx, invoice, account.provider, method)
    state = state_of(invoice)
    # Paying in full earns an early-payment discount still on offer; instalments do not.
    due = (
        state.amount_due
        if method == PaymentMethod.INSTALMENTS
        else state.amount_due_at(ctx.clock())
    )
    customer = customer_of(invoice, ctx)
    schedule: tuple[Instalment, ...] = ()
    if method == PaymentMethod.INSTALMENTS:
        today = ctx.clock().astimezone(ZoneInfo(merchant.timezone)).date()
        schedule = tuple(instalment_plan(ctx, invoice.merchant_id, due, today))
        if not schedule:
            raise ValidationError(f"{invoice.number} cannot be paid in instalments")
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
            customer_name=customer.name,
            customer_phone=customer.phone,
            instalments=schedule,
            save_method=save,
        )
    )
    if origin_of(checkout.redirect_url) not in allowed_checkout_origins(account.provider, env):
        # The customer goes to the provider's own checkout and nowhere else, whatever answered.
        raise OutsideServiceFailed(f"{account.provider} answered a checkout URL on another site")
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
                save_method=save,
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
            **({"save_method": True} if save else {}),
        )
    return checkout.redirect_url


def customer_returned(ctx: ServiceContext, invoice: Invoice) -> None:
    """The customer is back from a provider: ask the provider about their latest checkout
    (once per checkout, in a job) rather than believe the return URL. Providers that settle
    only by webhook are left to it."""
    with ctx.db.transaction() as session:
        latest = session.scalars(
            select(Checkout)
            .where(Checkout.invoice_id == invoice.id)
            .order_by(Checkout.created_at.desc(), Checkout.id.desc())
            .limit(1)
        ).one_or_none()
        if latest is None or not provider_factory(latest.provider).settles_on_return:
            return
        ctx.enqueue(
            session,
            NewJob(
                JOB_SETTLE_CHECKOUT,
                {"checkout_id": latest.id},
                f"settle-checkout:{latest.id}",
                ctx.clock(),
                invoice.merchant_id,
            ),
        )
