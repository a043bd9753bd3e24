"""Creating invoices: an order, an abandoned cart, a subscription's period or an API call
becomes a numbered invoice with its lines, timeline and jobs, exactly once per source.

On SQLite the creations waiting for one group commit are written together (`Creations`): a few
prebuilt statements for all of them rather than the ORM's unit of work for each; on PostgreSQL
each is one statement of its own (`creation_statement`). The rules about amounts and statuses
live in `core.invoices`; the invoice's settings in `core.services.billing`; this module
numbers, builds and writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import ColumnDefault, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core.business_buyer import party_json
from core.errors import Conflict, NotFound
from core.events import InvoiceRequested
from core.invoices import Autopay, InvoiceState, InvoiceStatus, format_invoice_number, make_customer
from core.links import new_link_code
from core.money import Money
from core.reconcile import reference_key
from core.reminders import ReminderStep
from core.services.billing import InvoiceSettings, invoice_settings
from core.services.context import PendingEvent, ServiceContext, timeline_event
from core.services.creation_statement import create_alone
from core.services.invoicing import customer_columns, opening_jobs
from core.services.reminder_schedule import plan_reminders
from core.storage import models
from core.storage.database import is_postgresql
from core.storage.driver_write import write_rows
from core.storage.models import Invoice, plain_copy

LINK_CODE_ATTEMPTS = 3


def create_invoice(
    ctx: ServiceContext, merchant_id: int, request: InvoiceRequested
) -> tuple[Invoice, bool]:
    """`create_invoice_for` the merchant with this id (its row read first, outside any
    transaction)."""
    row = ctx.db.read_row(_MERCHANT, {"merchant": merchant_id})
    if row is None:
        raise NotFound(f"no merchant {merchant_id}")
    return create_invoice_for(ctx, models.Merchant.copy_of(row._asdict()), request)


def create_invoice_for(
    ctx: ServiceContext, merchant: models.Merchant, request: InvoiceRequested
) -> tuple[Invoice, bool]:
    """The invoice for `request`, and whether it was created now.

    Prepared here, in the caller's thread, from the merchant's settings as read (customer,
    amounts, dates, reminder schedule); numbered and written, returning once that committed:
    on SQLite with the creations that wait for the same group commit (one commit, and a few
    statements, for many API calls or orders; its writer holds the write lock from its first
    statement to its commit, so it only numbers and writes), on PostgreSQL by one statement in
    autocommit (`create_alone`: the merchant's row locked only while the server runs it). The
    same order twice, even concurrently, gives one invoice: the INSERT is tried first and the
    database's unique constraint decides; a replay or the loser of a race reads the existing
    row afterwards (so the usual case, a new order, costs no look-up before it).
    """
    for _ in range(LINK_CODE_ATTEMPTS):
        new = prepare_invoice(ctx, merchant, request)
        try:
            if is_postgresql(ctx.db.engine):
                events = _creation_events(new)
                return create_alone(ctx, new.invoice, new.lines, events, new.due_steps), True
            return ctx.db.batched_together(Creations(ctx), new), True
        except IntegrityError:
            with ctx.db.reading() as session:
                existing = _find_by_source(session, merchant.id, request)
            if existing is not None:
                return _same_invoice(existing, request), False
            # else a link code collision (72 random bits): draw another
    raise Conflict("could not allocate a unique link code")


def create_invoice_in(
    ctx: ServiceContext, session: Session, merchant_id: int, request: InvoiceRequested
) -> tuple[Invoice, bool]:
    """`create_invoice` inside the caller's transaction (an abandoned cart becomes its invoice
    in the same transaction that marks it invoiced): the INSERT in a savepoint, so a replay or
    a lost race reads the existing row and leaves the caller's transaction usable."""
    merchant = session.get(models.Merchant, merchant_id)
    if merchant is None:
        raise NotFound(f"no merchant {merchant_id}")
    for _ in range(LINK_CODE_ATTEMPTS):
        new = prepare_invoice(ctx, merchant, request)
        try:
            with session.begin_nested():
                [invoice] = _insert_invoices(ctx, session, [new])
        except IntegrityError:
            existing = _find_by_source(session, merchant_id, request)
            if existing is not None:
                return _same_invoice(existing, request), False
            continue  # a link code collision (72 random bits): draw another
        return invoice, True
    raise Conflict("could not allocate a unique link code")


def _same_invoice(existing: Invoice, request: InvoiceRequested) -> Invoice:
    totals = request.content.totals()
    if (existing.currency, existing.total) != (request.content.currency, totals.total.minor):
        raise Conflict(
            f"invoice {existing.number} already exists for {request.source_kind} "
            f"{request.external_id} with a different total"
        )
    return existing


@dataclass(frozen=True)
class Creations:
    """The creations waiting for one group commit, written together (`BulkWrite`). Any failure
    (a reference already invoiced, a link code drawn twice) fails the batch, which the group
    commit then replays one creation at a time: only that creation fails."""

    ctx: ServiceContext

    def __call__(self, session: Session, creations: Sequence[PreparedInvoice]) -> list[Invoice]:
        return _insert_invoices(self.ctx, session, creations)


@dataclass(frozen=True)
class PreparedInvoice:
    """An invoice prepared from its merchant's settings, all but its number and id."""

    invoice: Invoice
    lines: list[dict[str, object]]
    settings: InvoiceSettings
    due_steps: list[ReminderStep]


# A creation's statements, built once on the tables (Core): through the ORM's unit of work
# (flush, identity map, one INSERT per line on SQLite) an invoice cost ~2 ms of CPU, most of it
# SQLAlchemy's, while the merchant's numbering lock was held.
_MERCHANTS = cast(Table, models.Merchant.__table__)
_MERCHANT = select(_MERCHANTS).where(_MERCHANTS.c.id == bindparam("merchant"))
_TAKE_NUMBERS = (
    update(_MERCHANTS)
    .where(_MERCHANTS.c.id == bindparam("merchant"))
    .values(last_invoice_sequence=_MERCHANTS.c.last_invoice_sequence + bindparam("count"))
    .returning(_MERCHANTS.c.invoice_prefix, _MERCHANTS.c.last_invoice_sequence)
)
_STORES = cast(Table, models.Store.__table__)
_STORE_OWNERS = select(_STORES.c.id, _STORES.c.merchant_id).where(
    _STORES.c.id.in_(bindparam("ids", expanding=True))
)
_INVOICES = cast(Table, Invoice.__table__)
_INVOICE_COLUMNS = tuple(column.key for column in _INVOICES.c if column.key != "id")
_INVOICE_DEFAULTS = {
    column.key: column.default.arg
    for column in _INVOICES.c
    if isinstance(column.default, ColumnDefault) and column.default.is_scalar
}
#: A new invoice's every column, at its default or None, before what the request gives.
_INVOICE_BLANK = {column: _INVOICE_DEFAULTS.get(column) for column in _INVOICE_COLUMNS}
_INSERT_INVOICES = insert(_INVOICES).returning(_INVOICES.c.id, _INVOICES.c.link_code)
_INSERT_LINES = insert(cast(Table, models.InvoiceLine.__table__))


def _insert_invoices(
    ctx: ServiceContext, session: Session, made: Sequence[PreparedInvoice]
) -> list[Invoice]:
    """Each prepared invoice numbered and written with its lines, timeline and jobs: one
    UPDATE per merchant numbers its invoices, then one INSERT each for all the invoices (their
    rows already carrying their reminder schedules), all their lines, each kind of timeline
    event and all their jobs. The invoices returned are plain copies of what was written, ids
    and lines included: not in the session."""
    _check_stores(session, made)
    numbering = _take_numbers(session, Counter(new.invoice.merchant_id for new in made))
    for new in made:
        prefix, sequence = numbering[new.invoice.merchant_id]
        numbering[new.invoice.merchant_id] = prefix, sequence + 1
        new.invoice.number = format_invoice_number(prefix, new.invoice.created_at.year, sequence)
        new.invoice.reference_key = reference_key(new.invoice.number)
    inserted = write_rows(session, _INSERT_INVOICES, [_row_of(new.invoice) for new in made])
    ids = {code: invoice_id for invoice_id, code in inserted}
    for new in made:
        new.invoice.id = ids[new.invoice.link_code]
    lines = [{"invoice_id": new.invoice.id, **line} for new in made for line in new.lines]
    write_rows(session, _INSERT_LINES, lines)  # every invoice has lines (`InvoiceContent`)
    timelines: dict[str, list[tuple[int, dict[str, object]]]] = {}
    for new in made:
        for kind, data in _creation_events(new):
            timelines.setdefault(kind, []).append((new.invoice.id, data))
    for kind, events in timelines.items():
        ctx.record_together(session, kind, events)
    ctx.enqueue_many(
        session,
        [
            job
            for new in made
            if new.invoice.status != InvoiceStatus.DRAFT
            for job in opening_jobs(ctx, session, new.invoice, new.due_steps)
        ],
    )
    return [new.invoice for new in made]


def _creation_events(new: PreparedInvoice) -> list[PendingEvent]:
    """A new invoice's first timeline events: made, and by which billing rules."""
    invoice = new.invoice
    events = [timeline_event("created", source=invoice.source_kind, total=invoice.total)]
    if new.settings.decision.rules:
        events.append(timeline_event("rules_applied", rules=new.settings.decision.rules))
    return events


def _check_stores(session: Session, made: Sequence[PreparedInvoice]) -> None:
    """An order's store must be the merchant's own."""
    stores = {new.invoice.store_id for new in made if new.invoice.store_id is not None}
    if not stores:
        return
    owners = dict(session.execute(_STORE_OWNERS, {"ids": sorted(stores)}).all())
    for new in made:
        store = new.invoice.store_id
        if store is not None and owners.get(store) != new.invoice.merchant_id:
            raise NotFound(f"no store {store}")


def _take_numbers(session: Session, counts: dict[int, int]) -> dict[int, tuple[str, int]]:
    """Each merchant's invoice prefix and the first of the `count` next numbers of its
    continuous sequence: its counter moved on under the row lock, read back by the same
    statement. Merchants locked in id order: two processes' batches never deadlock."""
    numbering = {}
    for merchant_id in sorted(counts):
        count = counts[merchant_id]
        taken = write_rows(session, _TAKE_NUMBERS, [{"merchant": merchant_id, "count": count}])
        if not taken:
            raise NotFound(f"no merchant {merchant_id}")
        [(prefix, last)] = taken
        numbering[merchant_id] = prefix, last - count + 1
    return numbering


def _utc(moment: datetime | None) -> datetime | None:
    """Stored and answered in UTC, whatever offset the caller wrote."""
    return moment.astimezone(UTC) if moment else None


def _shop_amount(shop_total: Money | None, currency: str) -> dict[str, object]:
    """The store's own conversion of an order in another currency, when it gave a usable one
    (only the merchant's figures read it: a nonsensical one is left out, not refused)."""
    if shop_total is None or shop_total.currency == currency or shop_total.minor <= 0:
        return {}
    return {"shop_currency": shop_total.currency, "shop_total": shop_total.minor}


def prepare_invoice(
    ctx: ServiceContext, merchant: models.Merchant, request: InvoiceRequested
) -> PreparedInvoice:
    """The invoice `request` asks for, prepared from the merchant's settings: all but its
    number (taken under the write lock) and id."""
    now = ctx.clock()
    customer = make_customer(
        request.customer.name,
        request.customer.email,
        request.customer.phone,
        request.customer.locale or merchant.default_locale,
        merchant.country,
    )
    content = request.content
    totals = content.totals()
    settings = invoice_settings(merchant, request, now)
    due_at = settings.due_at
    state = InvoiceState.new(
        totals.total,
        due_at,
        request.expires_at,
        settings.early_discount,
        settings.early_discount_until,
    )
    if not request.draft:
        state = state.open()
    lines: list[dict[str, object]] = [
        {
            "position": position,
            "label": line.label,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price": line.unit_price.minor,
            "tax": line.tax.minor,
        }
        for position, line in enumerate(content.lines, start=1)
    ]
    invoice = plain_copy(
        Invoice,
        _INVOICE_BLANK
        | customer_columns(customer, ctx)
        | _shop_amount(request.shop_total, content.currency)
        | dict(
            merchant_id=merchant.id,
            store_id=request.store_id,
            source_kind=request.source_kind.value,
            external_id=request.external_id,
            link_code=new_link_code(),
            status=state.status,
            currency=content.currency,
            subtotal=totals.subtotal.minor,
            tax=totals.tax.minor,
            shipping=totals.shipping.minor,
            discount=totals.discount.minor,
            total=totals.total.minor,
            taxes_included=content.taxes_included,
            amount_paid=0,
            amount_refunded=0,
            due_at=_utc(due_at),
            expires_at=_utc(request.expires_at),
            early_discount=settings.early_discount.minor if settings.early_discount else 0,
            early_discount_until=_utc(settings.early_discount_until),
            buyer=party_json(request.buyer) if request.buyer else None,
            allowed_methods=settings.methods,
            preferred_channel=settings.channel,
            reminders_off=not settings.reminders,
            autopay=Autopay.PENDING.value if request.autopay else None,
            created_at=now,
            updated_at=now,
        ),
    )
    set_committed_value(invoice, "lines", [plain_copy(models.InvoiceLine, line) for line in lines])
    # A period charged automatically sends nothing until its charge fails (`autopay`).
    planned = not (request.draft or request.autopay)
    due_steps = plan_reminders(ctx, invoice, merchant) if planned else []
    return PreparedInvoice(invoice, lines, settings, due_steps)


def _row_of(invoice: Invoice) -> dict[str, object]:
    """Every column of a new invoice (`prepare_invoice` gave each a value: the rows of one
    multi-row INSERT all bind the same columns)."""
    given = invoice.__dict__
    return {column: given[column] for column in _INVOICE_COLUMNS}


def _find_by_source(
    session: Session, merchant_id: int, request: InvoiceRequested
) -> Invoice | None:
    if request.external_id is None:
        return None
    query = select(Invoice).where(
        Invoice.merchant_id == merchant_id,
        Invoice.source_kind == request.source_kind.value,
        Invoice.external_id == request.external_id,
    )
    if request.store_id is None:
        query = query.where(Invoice.store_id.is_(None))
    else:
        query = query.where(Invoice.store_id == request.store_id)
    return session.scalars(query).one_or_none()
