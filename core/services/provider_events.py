"""What providers say about money: webhooks into the inbox, the jobs that apply them, and the
server-side look at a checkout when the customer comes back.

A webhook is verified on its raw body and stored with its processing job in one transaction;
no outbound call happens inside the request. Providers that can only verify by calling
themselves (PayPal) or whose notifications are unsigned (PayPlug) do so in the job, and a
delivery that fails that check is kept as rejected, never applied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from core.errors import MALFORMED_PAYLOAD, NotFound, UnusablePayload
from core.events import PaymentReceived, RefundIssued
from core.payments.provider import (
    EventKind,
    InvalidSignature,
    PaymentProvider,
    ProviderEnvironment,
    ProviderEvent,
)
from core.payments.registry import provider_factory
from core.services import autopay, payments
from core.services.context import ServiceContext
from core.services.inbox import Inbox
from core.services.payment_accounts import provider_for
from core.storage.models import Checkout, Payment, PaymentAccount
from core.storage.models import ProviderEvent as InboxEvent

JOB_PROCESS_EVENT = "payments.process_event"
log = logging.getLogger(__name__)


def receive_webhook(
    ctx: ServiceContext,
    env: ProviderEnvironment,
    provider_name: str,
    account_id: int,
    raw_body: bytes,
    headers: Mapping[str, str],
) -> bool:
    """Verify a provider webhook on its raw body, then store it with the job that processes it,
    in one transaction (shared with the process's concurrent deliveries: group commit). Returns
    False for a delivery already stored (a replay)."""
    with ctx.db.reading() as session:
        account = session.get(PaymentAccount, account_id)
    if (
        account is None
        or account.provider != provider_name
        or provider_name in env.disabled_providers
    ):
        raise NotFound("no such webhook endpoint")
    key = provider_for(ctx, env, account).event_key(raw_body, headers, ctx.clock())
    # Kept under the provider's own spelling of each name (`headers` is case-insensitive).
    kept_names = provider_factory(provider_name).kept_headers
    kept = {name: headers[name] for name in kept_names if headers.get(name) is not None}
    received_at, merchant_id = ctx.clock(), account.merchant_id

    values = {
        "account_id": account_id,
        "provider": provider_name,
        "event_key": key,
        "body": raw_body.decode("utf-8", errors="replace"),
        "headers": kept,
        "received_at": received_at,
    }

    inbox = Inbox(ctx, InboxEvent, ("account_id", "event_key"), JOB_PROCESS_EVENT, "provider-event")
    return inbox.keep(values, merchant_id)


def process_provider_event(ctx: ServiceContext, env: ProviderEnvironment, event_id: int) -> None:
    """Apply what a stored provider event says. Raises (so the job retries) when it cannot be
    applied yet, e.g. a refund that arrived before its payment."""
    with ctx.db.transaction() as session:
        inbox = session.get(InboxEvent, event_id)
    if inbox is None:
        raise NotFound(f"no provider event {event_id}")
    account, provider = _account_provider(ctx, env, inbox.account_id)
    try:
        events = provider.parse_events(inbox.body.encode(), inbox.headers)
    except InvalidSignature as error:
        # Checked in the job (PayPal): a forged delivery is kept, marked, and never applied.
        log.warning("%s event %s rejected: %s", provider.name, event_id, error.message)
        _finish(ctx, event_id, "rejected: " + error.message, drop_body=True)
        return
    except MALFORMED_PAYLOAD as error:
        # Signed by the provider but not in a shape we know: retrying cannot help.
        raise UnusablePayload(f"unreadable {provider.name} event: {error!r}") from error
    _finish(ctx, event_id, ",".join(apply_events(ctx, account, events)) or "empty")


def settle_checkout(ctx: ServiceContext, env: ProviderEnvironment, checkout_id: int) -> None:
    """Ask the provider what became of a checkout (the customer came back from it) and apply
    the answer, which is trusted because we fetched it."""
    with ctx.db.transaction() as session:
        checkout = session.get(Checkout, checkout_id)
    if checkout is None:
        raise NotFound(f"no checkout {checkout_id}")
    account, provider = _account_provider(ctx, env, checkout.account_id)
    apply_events(ctx, account, provider.settle_checkout(checkout.provider_reference))


def _account_provider(
    ctx: ServiceContext, env: ProviderEnvironment, account_id: int
) -> tuple[PaymentAccount, PaymentProvider]:
    with ctx.db.transaction() as session:
        account = session.get(PaymentAccount, account_id)
    if account is None:
        raise NotFound(f"no payment account {account_id}")
    return account, provider_for(ctx, env, account)


def _finish(ctx: ServiceContext, event_id: int, outcome: str, drop_body: bool = False) -> None:
    """Record what became of an event; a body the provider disowned (forged) is dropped: it
    was kept only until it could be checked, and holds nothing of ours."""
    with ctx.db.transaction() as session:
        stored = session.get(InboxEvent, event_id)
        assert stored is not None
        stored.processed_at = ctx.clock()
        stored.outcome = outcome[:64]
        if drop_body:
            stored.body, stored.headers = "", {}


def apply_events(
    ctx: ServiceContext, account: PaymentAccount, events: list[ProviderEvent]
) -> list[str]:
    """Apply what one payment account's provider said; each event reaches only that account's
    checkouts and its merchant's payments."""
    outcomes = []
    for event in events:
        try:
            outcomes.append(_apply(ctx, account, event))
        except ForeignReference as error:
            log.warning("%s event on account %s rejected: %s", account.provider, account.id, error)
            outcomes.append(f"rejected: {error}")
    return outcomes


class ForeignReference(Exception):
    """An event names a checkout or payment that belongs to another payment account: a forgery
    by whoever holds this account's webhook secret, kept and never applied."""


def _invoice_for(ctx: ServiceContext, account: PaymentAccount, event: ProviderEvent) -> int:
    """The invoice an event is about, found through this account's own records: the checkout it
    names, else the payment it names (on a recorded payment, or on the checkout that first named
    it; refunds and later instalments name only the payment)."""
    references = {"checkout": event.checkout_reference, "payment": event.payment_reference}
    with ctx.db.transaction() as session:
        for named, query in _reference_lookups(account):
            reference = references[named]
            if reference is None:
                continue
            invoice_id = session.scalar(query(reference).limit(1))
            if invoice_id is not None:
                return int(invoice_id)
        if _known_elsewhere(session, account, event):
            raise ForeignReference("names a checkout or payment of another account")
    raise NotFound(f"{account.provider} event names no checkout or payment of ours (yet)")


def _reference_lookups(account: PaymentAccount) -> list[tuple[str, Callable[[str], Select]]]:
    """The three places a reference can name an invoice, each kept to this account (checkouts)
    or its merchant (payments: manual ones and refunds have no checkout)."""
    return [
        (
            "checkout",
            lambda ref: select(Checkout.invoice_id).where(
                Checkout.account_id == account.id, Checkout.provider_reference == ref
            ),
        ),
        (
            "payment",
            lambda ref: select(Payment.invoice_id).where(
                Payment.merchant_id == account.merchant_id,
                Payment.provider == account.provider,
                Payment.provider_payment_id == ref,
            ),
        ),
        (
            "payment",
            lambda ref: select(Checkout.invoice_id).where(
                Checkout.account_id == account.id, Checkout.payment_reference == ref
            ),
        ),
    ]


def _known_elsewhere(session: Session, account: PaymentAccount, event: ProviderEvent) -> bool:
    """Whether another account of the same provider holds a checkout or payment the event
    names: then waiting cannot make the event ours."""
    conditions = []
    if event.checkout_reference is not None:
        conditions.append(Checkout.provider_reference == event.checkout_reference)
    if event.payment_reference is not None:
        conditions.append(Checkout.payment_reference == event.payment_reference)
    if not conditions:
        return False
    query = select(Checkout.id).where(
        Checkout.provider == account.provider, Checkout.account_id != account.id, or_(*conditions)
    )
    elsewhere = session.scalar(query.limit(1)) is not None
    if not elsewhere and event.payment_reference is not None:
        paid = select(Payment.id).where(
            Payment.provider == account.provider,
            Payment.merchant_id != account.merchant_id,
            Payment.provider_payment_id == event.payment_reference,
        )
        elsewhere = session.scalar(paid.limit(1)) is not None
    return elsewhere


def _remember_payment_reference(
    ctx: ServiceContext, account: PaymentAccount, event: ProviderEvent
) -> None:
    """Note on the checkout the payment id an event pairs with it, once."""
    if event.checkout_reference is None or event.payment_reference is None:
        return
    with ctx.db.transaction() as session:
        session.execute(
            update(Checkout)
            .where(
                Checkout.account_id == account.id,
                Checkout.provider_reference == event.checkout_reference,
                Checkout.payment_reference.is_(None),
            )
            .values(payment_reference=event.payment_reference)
        )


def _apply(ctx: ServiceContext, account: PaymentAccount, event: ProviderEvent) -> str:
    if event.kind == EventKind.IGNORED:
        return "ignored"
    provider = account.provider
    invoice_id = _invoice_for(ctx, account, event)
    _remember_payment_reference(ctx, account, event)
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
        autopay.after_paid(ctx, account, event)
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
        if event.kind == EventKind.FAILED:  # a subscription's charge: its link takes over
            autopay.fall_back(ctx, invoice_id, event.reason or "declined")
    return event.kind.value
