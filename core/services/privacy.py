"""Erasing and reporting a customer's personal data (GDPR requests relayed by a store): the
invoices keep their amounts, numbers and dates for the merchant's books, and lose the name,
email, phone and the text of the messages sent to that person."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from core.errors import ValidationError
from core.invoices import normalise_phone
from core.services.context import ServiceContext
from core.services.invoicing import PHONE_INDEX, email_index
from core.services.messaging import RECIPIENT
from core.storage.models import Invoice, Message, StoreCart, StoreEvent

REDACTED = "[effacé]"


def _customer_invoices(
    ctx: ServiceContext,
    store_id: int,
    external_ids: Sequence[str],
    email: str | None,
    phone: str | None,
) -> ColumnElement[bool]:
    """Which of a store's invoices are this customer's: the orders named, and any invoice to
    their email or phone (through the blind indexes: contact data is encrypted)."""
    matches: list[ColumnElement[bool]] = []
    if external_ids:
        matches.append(Invoice.external_id.in_([str(i) for i in external_ids]))
    if email:
        with contextlib.suppress(ValidationError):
            matches.append(Invoice.customer_email_index == email_index(ctx, email))
    if phone:
        try:
            e164 = normalise_phone(phone, None)
            matches.append(
                Invoice.customer_phone_index == ctx.keyring.blind_index(e164, PHONE_INDEX)
            )
        except ValidationError:
            pass
    if not matches:
        return Invoice.id.is_(None)  # nothing named: nothing matches
    return (Invoice.store_id == store_id) & or_(*matches)


def erase_customer(
    ctx: ServiceContext,
    store_id: int,
    external_ids: Sequence[str] = (),
    email: str | None = None,
    phone: str | None = None,
) -> int:
    """Erase one customer's personal data from a store's invoices; returns how many."""
    with ctx.db.transaction() as session:
        ids = list(
            session.scalars(
                select(Invoice.id).where(
                    _customer_invoices(ctx, store_id, external_ids, email, phone)
                )
            )
        )
        _erase(ctx, session, ids)
    return len(ids)


def erase_store(ctx: ServiceContext, store_id: int) -> int:
    """Erase the personal data of every invoice a store brought, its carts and the bodies of
    its webhooks (the shop left for good)."""
    with ctx.db.transaction() as session:
        ids = list(session.scalars(select(Invoice.id).where(Invoice.store_id == store_id)))
        _erase(ctx, session, ids)
        session.execute(
            update(StoreCart).where(StoreCart.store_id == store_id).values(body_ciphertext=None)
        )
        session.execute(
            update(StoreEvent).where(StoreEvent.store_id == store_id).values(body=REDACTED)
        )
    return len(ids)


def _erase(ctx: ServiceContext, session: Session, ids: list[int]) -> None:
    if not ids:
        return
    session.execute(
        update(Invoice)
        .where(Invoice.id.in_(ids))
        .values(
            customer_name=REDACTED,
            customer_email_ciphertext=None,
            customer_email_index=None,
            customer_phone_ciphertext=None,
            customer_phone_index=None,
            next_reminder_at=None,
            next_reminder_step=None,
        )
    )
    session.execute(
        update(Message)
        .where(Message.invoice_id.in_(ids))
        .values(
            recipient_ciphertext=ctx.keyring.encrypt(REDACTED, RECIPIENT),
            body=REDACTED,
            subject=None,
        )
    )
    session.execute(
        update(StoreCart).where(StoreCart.invoice_id.in_(ids)).values(body_ciphertext=None)
    )
    for invoice_id in ids:
        ctx.record(session, invoice_id, "personal_data_erased")


def customer_invoices(
    ctx: ServiceContext,
    store_id: int,
    external_ids: Sequence[str],
    email: str | None,
    phone: str | None,
) -> list[Invoice]:
    """What Paylink holds about a customer, for a data request."""
    with ctx.db.transaction() as session:
        return list(
            session.scalars(
                select(Invoice).where(_customer_invoices(ctx, store_id, external_ids, email, phone))
            )
        )
