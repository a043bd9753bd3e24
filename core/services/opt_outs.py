"""Customers who asked to hear no more: a STOP reply stops SMS, an unsubscribe link stops email,
each for that customer at that merchant. Honoured at every claim, before anything is rendered.

Opt-outs are keyed by the contact's blind index (the same one invoices carry), so a later
invoice to the same number or address is covered too, and nothing here holds it in clear.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import MALFORMED_PAYLOAD
from core.links import InvalidToken, TokenPurpose, TokenSigner
from core.reminders import Channel
from core.services.context import ServiceContext
from core.storage.database import insert_once
from core.storage.models import Invoice, OptOut

UNSUBSCRIBE_MAX_AGE = 400 * 86400  # a link in an old email keeps working for over a year


def _contact_index(invoice: Invoice, channel: Channel) -> str | None:
    return invoice.customer_phone_index if channel == Channel.SMS else invoice.customer_email_index


def opted_out_channels(session: Session, invoice: Invoice) -> frozenset[Channel]:
    indexes = {
        channel: index
        for channel in (Channel.SMS, Channel.EMAIL)
        if (index := _contact_index(invoice, channel))
    }
    if not indexes:
        return frozenset()
    rows = session.execute(
        select(OptOut.channel, OptOut.contact_index).where(
            OptOut.merchant_id == invoice.merchant_id,
            OptOut.contact_index.in_(list(indexes.values())),
        )
    ).all()
    return frozenset(
        Channel(channel) for channel, index in rows if indexes.get(Channel(channel)) == index
    )


def record_opt_out(
    ctx: ServiceContext,
    session: Session,
    merchant_id: int,
    channel: Channel,
    contact_index: str,
    source: str,
) -> bool:
    """Store an opt-out once (a second STOP changes nothing); True when it is new."""
    created = insert_once(
        session,
        OptOut,
        {
            "merchant_id": merchant_id,
            "channel": channel.value,
            "contact_index": contact_index,
            "source": source,
            "created_at": ctx.clock(),
        },
        ["merchant_id", "channel", "contact_index"],
    )
    return created is not None


def stop_sms_everywhere(ctx: ServiceContext, phone_index: str, source: str) -> int:
    """A STOP reply reaches the instance's shared number, not one merchant: every merchant that
    has invoiced this number stops texting it. Returns how many opt-outs were new."""
    with ctx.db.transaction() as session:
        merchants = session.scalars(
            select(Invoice.merchant_id)
            .where(Invoice.customer_phone_index == phone_index)
            .distinct()
        ).all()
        return sum(
            record_opt_out(ctx, session, merchant_id, Channel.SMS, phone_index, source)
            for merchant_id in merchants
        )


def unsubscribe_token(secret_key: str, invoice: Invoice, channel: Channel) -> str | None:
    index = _contact_index(invoice, channel)
    if index is None:
        return None
    payload = {"m": invoice.merchant_id, "c": channel.value, "i": index}
    return TokenSigner(secret_key).sign(TokenPurpose.UNSUBSCRIBE, payload)


def unsubscribe(ctx: ServiceContext, secret_key: str, token: str) -> bool:
    """Honour an unsubscribe link (no login, no confirmation needed: RFC 8058 one-click)."""
    payload = TokenSigner(secret_key).verify(TokenPurpose.UNSUBSCRIBE, token, UNSUBSCRIBE_MAX_AGE)
    try:
        merchant_id, channel, index = int(payload["m"]), Channel(payload["c"]), str(payload["i"])
    except MALFORMED_PAYLOAD:
        raise InvalidToken("this unsubscribe link is not valid") from None
    with ctx.db.transaction() as session:
        return record_opt_out(ctx, session, merchant_id, channel, index, "unsubscribe_link")
