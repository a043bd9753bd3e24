"""Delivering a claimed message: hand it to its channel, record what the provider answered, and
fall back to email when an SMS is refused for good. Delivery receipts update the same row.

A message whose invoice was paid between claim and delivery is cancelled, not sent. A crash
after the provider took a message but before it was recorded sends it again on retry: the
providers used here have no idempotency key for sends, so that window is as small as one
UPDATE.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, lazyload

from core.channels.channel import (
    Attachment,
    ChannelRejected,
    DeliveryReceipt,
    OutgoingMessage,
    StopReply,
)
from core.channels.email_layout import EmailBranding, html_email
from core.errors import NotFound
from core.invoice_document import DocumentKind
from core.invoices import PAYABLE, InvoiceStatus
from core.message_templates import template_locale
from core.reminders import ASKING_FOR_PAYMENT, Channel, MessageKind, MessageStatus
from core.services.after_payment import AFTER_PAYMENT
from core.services.context import ServiceContext
from core.services.invoicing import PHONE_INDEX, customer_of
from core.services.legal_details import seller_of
from core.services.messaging import (
    RECIPIENT,
    MessagingEnvironment,
    claim_message,
    message_link,
    sms_sender,
)
from core.services.opt_outs import opted_out_channels, stop_sms_everywhere, unsubscribe_token
from core.storage.document_models import InvoiceDocumentFile
from core.storage.models import Invoice, Merchant, Message

FINAL_STATUSES = frozenset(MessageStatus) - {MessageStatus.QUEUED}
FALLBACK_SUFFIX = ":email"


def deliver(ctx: ServiceContext, env: MessagingEnvironment, message_id: int) -> None:
    with ctx.db.transaction() as session:
        message = session.get(Message, message_id)
        if message is None:
            raise NotFound(f"no message {message_id}")
        if message.status in FINAL_STATUSES:
            return
        invoice = session.get(Invoice, message.invoice_id, options=[lazyload(Invoice.lines)])
        merchant = session.get(Merchant, message.merchant_id)
        assert invoice is not None and merchant is not None
        after_payment = MessageKind(message.kind) in AFTER_PAYMENT
        wrong_time = (
            invoice.status != InvoiceStatus.PAID if after_payment else invoice.status not in PAYABLE
        )
        if wrong_time:
            message.status, message.updated_at = MessageStatus.CANCELLED, ctx.clock()
            ctx.record(session, invoice.id, "message_cancelled", step=message.step)
            return
        outgoing = _outgoing(ctx, env, session, message, invoice, merchant)
    channel = Channel(message.channel)
    try:
        sent = env.channels[channel].send(outgoing)
    except ChannelRejected as refusal:
        _failed(ctx, env, message_id, refusal.message)
        return
    with ctx.db.transaction() as session:
        stored = session.get(Message, message_id)
        assert stored is not None
        now = ctx.clock()
        stored.status, stored.provider_message_id = sent.status, sent.provider_message_id
        stored.sent_at = stored.updated_at = now
        ctx.record(
            session, stored.invoice_id, "message_sent", step=stored.step, channel=stored.channel
        )


def _outgoing(
    ctx: ServiceContext,
    env: MessagingEnvironment,
    session: Session,
    message: Message,
    invoice: Invoice,
    merchant: Merchant,
) -> OutgoingMessage:
    channel = Channel(message.channel)
    recipient = ctx.keyring.decrypt(message.recipient_ciphertext, RECIPIENT)
    if channel == Channel.SMS:
        return OutgoingMessage(
            message.id,
            channel,
            recipient,
            message.body,
            sms_sender(merchant),
            marketing=message.marketing,
            status_callback_url=f"{env.base_url}/channels/{message.provider}/status",
        )
    token = unsubscribe_token(env.secret_key, invoice, Channel.EMAIL)
    unsubscribe_url = f"{env.base_url}/u/{token}" if message.marketing and token else None
    link = message_link(env.base_url, invoice.link_code, MessageKind(message.kind))
    branding = EmailBranding(
        merchant.name,
        merchant.brand_color,
        merchant.logo_url,
        template_locale(invoice.customer_locale),
        merchant_identity(merchant),
    )
    return OutgoingMessage(
        message.id,
        channel,
        recipient,
        message.body,
        merchant.name,
        marketing=message.marketing,
        subject=message.subject,
        html=html_email(message.subject or "", message.body, link, branding, unsubscribe_url),
        unsubscribe_url=unsubscribe_url,
        attachments=_attached_document(session, message, invoice, merchant),
    )


def _attached_document(
    session: Session, message: Message, invoice: Invoice, merchant: Merchant
) -> tuple[Attachment, ...]:
    """The invoice's PDF for an email asking for payment, when the merchant wants it attached
    and the worker has made it (an email never waits for its document)."""
    if not merchant.attach_documents or MessageKind(message.kind) not in ASKING_FOR_PAYMENT:
        return ()
    stored = session.scalars(
        select(InvoiceDocumentFile).where(
            InvoiceDocumentFile.invoice_id == invoice.id,
            InvoiceDocumentFile.kind == DocumentKind.INVOICE.value,
        )
    ).one_or_none()
    if stored is None:
        return ()
    return (Attachment(f"{invoice.number}.pdf", "application/pdf", stored.pdf),)


def merchant_identity(merchant: Merchant) -> tuple[str, ...]:
    """The seller as its legal details name it (what the merchant entered), for emails."""
    seller = seller_of(merchant)
    parts = [seller.name, *seller.address_lines]
    if merchant.legal_mentions:
        parts.append(merchant.legal_mentions)
    if seller.siren:
        parts.append(f"SIREN {seller.siren}")
    return tuple(parts) if merchant.legal_name or seller.siren or seller.street else ()


def _failed(ctx: ServiceContext, env: MessagingEnvironment, message_id: int, reason: str) -> None:
    """Record a refusal; a refused SMS is claimed again as an email, if the customer has one."""
    with ctx.db.transaction() as session:
        message = session.get(Message, message_id)
        assert message is not None
        message.status, message.error = MessageStatus.FAILED, reason
        message.updated_at = ctx.clock()
        ctx.record(session, message.invoice_id, "message_failed", step=message.step, error=reason)
        if message.channel != Channel.SMS.value or message.step.endswith(FALLBACK_SUFFIX):
            return
        invoice = session.scalars(
            select(Invoice).where(Invoice.id == message.invoice_id).with_for_update()
        ).one()
        merchant = session.get(Merchant, invoice.merchant_id)
        assert merchant is not None
        customer = customer_of(invoice, ctx)
        if customer.email is None or Channel.EMAIL in opted_out_channels(session, invoice):
            return
        claim_message(
            ctx,
            env,
            session,
            invoice,
            merchant,
            customer,
            message.step + FALLBACK_SUFFIX,
            MessageKind(message.kind),
            Channel.EMAIL,
        )


def apply_callback(
    ctx: ServiceContext,
    env: MessagingEnvironment,
    provider: str,
    said: DeliveryReceipt | StopReply | None,
) -> None:
    """What a channel's callback said, applied: a receipt to the message it names (among that
    provider's messages), a STOP reply to every merchant that texted the number."""
    if isinstance(said, StopReply):
        index = ctx.keyring.blind_index(said.phone, PHONE_INDEX)
        stop_sms_everywhere(ctx, index, "sms_stop_reply")
    elif isinstance(said, DeliveryReceipt):
        matching = (
            Message.provider_message_id == said.provider_message_id
            if said.provider_message_id is not None
            else Message.id == said.message_id
        )
        record_receipt(ctx, env, provider, matching, said.outcome, said.reason)


def record_receipt(
    ctx: ServiceContext,
    env: MessagingEnvironment,
    provider: str,
    matching: ColumnElement[bool],
    outcome: MessageStatus | None,
    reason: str,
) -> bool:
    """Apply a delivery receipt to the message it names (`matching`, within the provider's own
    messages); a failed SMS falls back to email. False when no message of ours matches."""
    with ctx.db.transaction() as session:
        message = session.scalars(
            select(Message).where(Message.provider == provider, matching)
        ).one_or_none()
        if message is None:
            return False
        if outcome is None or message.status in (MessageStatus.DELIVERED, MessageStatus.FAILED):
            return True
        message_id = message.id
        if outcome == MessageStatus.DELIVERED:
            message.status, message.delivered_at = MessageStatus.DELIVERED, ctx.clock()
            message.updated_at = ctx.clock()
            return True
    _failed(ctx, env, message_id, f"{provider}: {reason}")
    return True
