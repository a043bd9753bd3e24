"""Invoice use cases: create (idempotently), open, void, mark overdue, expire.

Each is one transaction that changes the invoice, appends to its timeline and enqueues the jobs
the change causes. Rules about amounts and statuses live in `core.invoices`; this module loads,
applies and stores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import ColumnDefault, Table, bindparam, insert, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.business_buyer import party_json
from core.errors import Conflict, NotFound
from core.events import InvoiceRequested, SourceKind
from core.invoices import (
    PAYABLE,
    Autopay,
    Customer,
    InvoiceState,
    InvoiceStatus,
    format_invoice_number,
    make_customer,
    normalise_email,
)
from core.jobs import NewJob
from core.links import new_link_code
from core.money import Money
from core.payments.provider import PaymentMethod
from core.reconcile import reference_key
from core.reminders import ReminderStep
from core.services.billing import InvoiceSettings, invoice_settings
from core.services.context import ServiceContext
from core.services.reminder_schedule import due_job, plan_reminders
from core.storage import models
from core.storage.database import bound
from core.storage.models import Invoice

EMAIL_INDEX = "invoices.customer_email"
PHONE_INDEX = "invoices.customer_phone"
LINK_CODE_ATTEMPTS = 3

JOB_MARK_OVERDUE = "invoice.mark_overdue"
#: Its document (PDF, Factur-X for a business), made by the worker (`core.services.documents`).
JOB_RENDER_DOCUMENT = "documents.render"
JOB_EXPIRE = "invoice.expire"


# State <-> row -------------------------------------------------------------------------------


def state_of(invoice: Invoice) -> InvoiceState:
    def money(minor: int) -> Money:
        return Money(minor, invoice.currency)

    return InvoiceState(
        status=invoice.status,
        total=money(invoice.total),
        amount_paid=money(invoice.amount_paid),
        amount_refunded=money(invoice.amount_refunded),
        due_at=invoice.due_at,
        expires_at=invoice.expires_at,
        early_discount=money(invoice.early_discount) if invoice.early_discount else None,
        early_discount_until=invoice.early_discount_until,
    )


def store_state(invoice: Invoice, state: InvoiceState, now: datetime) -> None:
    """Write a new state back; a total that dropped is an early-payment discount earned, so it
    joins the invoice's discount (totals stay consistent: subtotal + ... - discount = total)."""
    invoice.discount += invoice.total - state.total.minor
    invoice.total = state.total.minor
    invoice.status = state.status
    if state.status not in PAYABLE:
        # Paid, void, expired or refunded: no further reminder, from this very transaction.
        invoice.next_reminder_at = None
        invoice.next_reminder_step = None
    invoice.amount_paid = state.amount_paid.minor
    invoice.amount_refunded = state.amount_refunded.minor
    invoice.updated_at = now


def customer_of(invoice: Invoice, ctx: ServiceContext) -> Customer:
    """The invoice's customer with contact details decrypted."""

    def clear(ciphertext: str | None, context: str) -> str | None:
        return ctx.keyring.decrypt(ciphertext, context) if ciphertext else None

    return Customer(
        name=invoice.customer_name,
        email=clear(invoice.customer_email_ciphertext, EMAIL_INDEX),
        phone=clear(invoice.customer_phone_ciphertext, PHONE_INDEX),
        locale=invoice.customer_locale,
    )


def email_index(ctx: ServiceContext, email: str) -> str:
    """Blind index of an email as people search it: normalised, then case-insensitive."""
    return _normalised_email_index(ctx, normalise_email(email))


def _normalised_email_index(ctx: ServiceContext, email: str) -> str:
    return ctx.keyring.blind_index(email.casefold(), EMAIL_INDEX)


def set_customer(invoice: Invoice, customer: Customer, ctx: ServiceContext) -> None:
    """Store the customer (as `make_customer` normalised it), contact details encrypted, each
    beside its blind index."""
    keyring = ctx.keyring
    invoice.customer_name = customer.name
    invoice.customer_locale = customer.locale
    email, phone = customer.email, customer.phone
    invoice.customer_email_ciphertext = keyring.encrypt(email, EMAIL_INDEX) if email else None
    invoice.customer_email_index = _normalised_email_index(ctx, email) if email else None
    invoice.customer_phone_ciphertext = keyring.encrypt(phone, PHONE_INDEX) if phone else None
    invoice.customer_phone_index = keyring.blind_index(phone, PHONE_INDEX) if phone else None


# Look-ups ------------------------------------------------------------------------------------


def load_invoice(
    session: Session, merchant_id: int, invoice_id: int, lock: bool = False
) -> Invoice:
    query = select(Invoice).where(Invoice.id == invoice_id, Invoice.merchant_id == merchant_id)
    if lock:
        query = query.with_for_update()
    invoice = session.scalars(query).one_or_none()
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id}")
    return invoice


def load_invoice_by_id(ctx: ServiceContext, merchant_id: int, invoice_id: int) -> Invoice:
    with ctx.db.transaction() as session:
        return load_invoice(session, merchant_id, invoice_id)


def invoice_by_code(ctx: ServiceContext, code: str) -> tuple[Invoice, models.Merchant]:
    """The invoice a payment link names, with its merchant (NotFound for any unknown code), in a
    transaction that only reads."""
    with ctx.db.reading() as session:
        return _by_code(session, code)


def _by_code(session: Session, code: str) -> tuple[Invoice, models.Merchant]:
    invoice = session.scalars(select(Invoice).where(Invoice.link_code == code)).one_or_none()
    if invoice is None:
        raise NotFound("no such payment link")
    merchant = session.get(models.Merchant, invoice.merchant_id)
    assert merchant is not None
    return invoice, merchant


def payment_page(
    ctx: ServiceContext, code: str
) -> tuple[Invoice, models.Merchant, list[models.PaymentAccount]]:
    """What the payment page shows, read in one snapshot: the invoice, its merchant and the
    payment accounts they enabled. The page's first opening is recorded (the conversion
    funnel's "opened"); a repeat view writes nothing."""
    with ctx.db.reading() as session:
        invoice, merchant = _by_code(session, code)
        accounts = list(
            session.scalars(
                select(models.PaymentAccount)
                .where(
                    models.PaymentAccount.merchant_id == merchant.id,
                    models.PaymentAccount.enabled.is_(True),
                )
                .order_by(models.PaymentAccount.position, models.PaymentAccount.id)
            )
        )
    if invoice.viewed_at is None:
        _record_first_view(ctx, invoice)
    return invoice, merchant, accounts


def _record_first_view(ctx: ServiceContext, invoice: Invoice) -> None:
    """Once per invoice, whatever number of first views race (the UPDATE decides)."""
    now = ctx.clock()
    with ctx.db.transaction() as session:
        first = session.execute(
            update(Invoice)
            .where(Invoice.id == invoice.id, Invoice.viewed_at.is_(None))
            .values(viewed_at=now)
        )
        if first.rowcount == 1:  # type: ignore[attr-defined]
            ctx.record(session, invoice.id, "viewed")
    invoice.viewed_at = invoice.viewed_at or now


def last_payment_failed(ctx: ServiceContext, invoice_id: int) -> bool:
    """Whether the latest payment attempt's outcome on the timeline is a failure."""
    with ctx.db.transaction() as session:
        kind = session.scalar(
            select(models.TimelineEvent.kind)
            .where(
                models.TimelineEvent.invoice_id == invoice_id,
                models.TimelineEvent.kind.in_(
                    ["checkout_started", "payment_failed", "payment_received"]
                ),
            )
            .order_by(models.TimelineEvent.at.desc(), models.TimelineEvent.id.desc())
            .limit(1)
        )
    return kind == "payment_failed"


def invoice_payments(ctx: ServiceContext, invoice_id: int) -> list[models.Payment]:
    with ctx.db.transaction() as session:
        return list(
            session.scalars(
                select(models.Payment)
                .where(
                    models.Payment.invoice_id == invoice_id,
                    or_(models.Payment.flag.is_(None), models.Payment.flag == "overpayment"),
                )
                .order_by(models.Payment.received_at)
            )
        )


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


def instalment_plan_on_track(session: Session, invoice: Invoice) -> bool:
    """Whether the customer is paying through an instalment plan that keeps up: its first
    payment arrived and the latest news of the invoice's payments is a payment, not a failure
    (a failed instalment brings the reminders back)."""
    started = session.scalar(
        select(models.Checkout.id)
        .where(
            models.Checkout.invoice_id == invoice.id,
            models.Checkout.method == PaymentMethod.INSTALMENTS.value,
            models.Checkout.payment_reference.is_not(None),
        )
        .limit(1)
    )
    if started is None:
        return False
    latest = session.scalar(
        select(models.TimelineEvent.kind)
        .where(
            models.TimelineEvent.invoice_id == invoice.id,
            models.TimelineEvent.kind.in_(("payment_received", "payment_failed")),
        )
        .order_by(models.TimelineEvent.at.desc(), models.TimelineEvent.id.desc())
        .limit(1)
    )
    return latest == "payment_received"


# Create --------------------------------------------------------------------------------------


def create_invoice(
    ctx: ServiceContext, merchant_id: int, request: InvoiceRequested
) -> tuple[Invoice, bool]:
    """The invoice for `request`, and whether it was created now.

    Written with the creations that wait for the same group commit (one commit, and a few
    statements, for many API calls or orders), returning once it committed. The same order
    twice, even concurrently, gives one invoice: the INSERT is tried first and the database's
    unique constraint decides; a replay or the loser of a race reads the existing row
    afterwards (so the usual case, a new order, costs no look-up before it).
    """
    for _ in range(LINK_CODE_ATTEMPTS):
        try:
            return ctx.db.batched_together(Creations(ctx), (merchant_id, request)), True
        except IntegrityError:
            with ctx.db.reading() as session:
                existing = _find_by_source(session, merchant_id, request)
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
    for _ in range(LINK_CODE_ATTEMPTS):
        try:
            with session.begin_nested():
                [invoice] = _insert_invoices(ctx, session, [(merchant_id, request)])
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


Creation = tuple[int, InvoiceRequested]  # the merchant, and what it asked for


@dataclass(frozen=True)
class Creations:
    """The creations waiting for one group commit, written together (`BulkWrite`). Any failure
    (a reference already invoiced, a link code drawn twice) fails the batch, which the group
    commit then replays one creation at a time: only that creation fails."""

    ctx: ServiceContext

    def __call__(self, session: Session, creations: Sequence[Creation]) -> list[Invoice]:
        return _insert_invoices(self.ctx, session, creations)


@dataclass(frozen=True)
class _NewInvoice:
    invoice: Invoice
    lines: list[dict[str, object]]
    settings: InvoiceSettings
    due_steps: list[ReminderStep]


# A creation's statements, built once on the tables (Core): through the ORM's unit of work
# (flush, identity map, one INSERT per line on SQLite) an invoice cost ~2 ms of CPU, most of it
# SQLAlchemy's, while the merchant's numbering lock was held.
_MERCHANTS = cast(Table, models.Merchant.__table__)
_TAKE_NUMBERS = (
    update(_MERCHANTS)
    .where(_MERCHANTS.c.id == bindparam("merchant"))
    .values(last_invoice_sequence=_MERCHANTS.c.last_invoice_sequence + bindparam("count"))
    .returning(*_MERCHANTS.c)
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
_INSERT_INVOICES = insert(_INVOICES).returning(_INVOICES.c.id, _INVOICES.c.link_code)
_INSERT_LINES = insert(cast(Table, models.InvoiceLine.__table__))


def _insert_invoices(
    ctx: ServiceContext, session: Session, creations: Sequence[Creation]
) -> list[Invoice]:
    """Each creation's invoice row (already carrying its reminder schedule), lines, timeline
    and jobs: one UPDATE per merchant numbers its invoices, then one INSERT each for all the
    invoices, all their lines, each kind of timeline event and all their jobs. The invoices
    returned are plain copies of what was written, ids and lines included: not in the
    session."""
    now = ctx.clock()
    _check_stores(session, creations)
    numbering = _take_numbers(session, Counter(merchant_id for merchant_id, _ in creations))
    made = []
    for merchant_id, request in creations:
        merchant, sequence = numbering[merchant_id]
        numbering[merchant_id] = merchant, sequence + 1
        made.append(_new_invoice(ctx, merchant, sequence, request, now))
    inserted = session.execute(_INSERT_INVOICES, bound([_row_of(new.invoice) for new in made]))
    ids = {code: invoice_id for invoice_id, code in inserted}
    for new in made:
        new.invoice.id = ids[new.invoice.link_code]
    lines = [{"invoice_id": new.invoice.id, **line} for new in made for line in new.lines]
    session.execute(_INSERT_LINES, bound(lines))  # every invoice has lines (`InvoiceContent`)
    ctx.record_together(
        session,
        "created",
        [
            (new.invoice.id, {"source": new.invoice.source_kind, "total": new.invoice.total})
            for new in made
        ],
    )
    ctx.record_together(
        session,
        "rules_applied",
        [
            (new.invoice.id, {"rules": new.settings.decision.rules})
            for new in made
            if new.settings.decision.rules
        ],
    )
    ctx.enqueue_many(
        session,
        [
            job
            for new in made
            if new.invoice.status != InvoiceStatus.DRAFT
            for job in _opening_jobs(ctx, session, new.invoice, new.due_steps)
        ],
    )
    return [new.invoice for new in made]


def _check_stores(session: Session, creations: Sequence[Creation]) -> None:
    """An order's store must be the merchant's own."""
    stores = {request.store_id for _, request in creations if request.store_id is not None}
    if not stores:
        return
    owners = dict(session.execute(_STORE_OWNERS, {"ids": sorted(stores)}).all())
    for merchant_id, request in creations:
        if request.store_id is not None and owners.get(request.store_id) != merchant_id:
            raise NotFound(f"no store {request.store_id}")


def _take_numbers(
    session: Session, counts: dict[int, int]
) -> dict[int, tuple[models.Merchant, int]]:
    """Each merchant (a plain copy) with the first of the `count` next numbers of its
    continuous sequence: its counter moved on under the row lock, the row read back by the
    same statement. Merchants locked in id order: two processes' batches never deadlock."""
    numbering = {}
    for merchant_id in sorted(counts):
        count = counts[merchant_id]
        row = session.execute(_TAKE_NUMBERS, {"merchant": merchant_id, "count": count}).first()
        if row is None:
            raise NotFound(f"no merchant {merchant_id}")
        merchant = models.Merchant(**row._mapping)
        numbering[merchant_id] = merchant, merchant.last_invoice_sequence - count + 1
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


def _new_invoice(
    ctx: ServiceContext,
    merchant: models.Merchant,
    sequence: int,
    request: InvoiceRequested,
    now: datetime,
) -> _NewInvoice:
    """The invoice `request` asks for, numbered `sequence`, not yet written."""
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
    number = format_invoice_number(merchant.invoice_prefix, now.year, sequence)
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
    invoice = Invoice(
        merchant_id=merchant.id,
        store_id=request.store_id,
        source_kind=request.source_kind.value,
        external_id=request.external_id,
        number=number,
        reference_key=reference_key(number),
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
        **_shop_amount(request.shop_total, content.currency),
        created_at=now,
        updated_at=now,
        lines=[models.InvoiceLine(**line) for line in lines],
    )
    set_customer(invoice, customer, ctx)
    # A period charged automatically sends nothing until its charge fails (`autopay`).
    planned = not (request.draft or request.autopay)
    due_steps = plan_reminders(ctx, invoice, merchant) if planned else []
    return _NewInvoice(invoice, lines, settings, due_steps)


def _row_of(invoice: Invoice) -> dict[str, object]:
    """Every column of a new invoice, as given or else its default (the rows of one multi-row
    INSERT all bind the same columns)."""
    given = inspect(invoice).dict
    return {column: given.get(column, _INVOICE_DEFAULTS.get(column)) for column in _INVOICE_COLUMNS}


def _opening_jobs(
    ctx: ServiceContext, session: Session, invoice: Invoice, due_steps: list[ReminderStep]
) -> list[NewJob]:
    """The jobs of an invoice just opened (its reminders planned on the row): they move it to
    overdue or expired when its dates pass, send its messages (the invoice itself, then
    reminders) on the merchant's schedule, and render its document."""
    payload = {"merchant_id": invoice.merchant_id, "invoice_id": invoice.id}
    jobs = [due_job(ctx, session, invoice, due_steps)]
    if invoice.due_at is not None:
        jobs.append(
            NewJob(
                JOB_MARK_OVERDUE,
                payload,
                f"invoice:{invoice.id}:overdue",
                invoice.due_at,
                invoice.merchant_id,
            )
        )
    if invoice.expires_at is not None:
        jobs.append(
            NewJob(
                JOB_EXPIRE,
                payload,
                f"invoice:{invoice.id}:expire",
                invoice.expires_at,
                invoice.merchant_id,
            )
        )
    jobs.append(
        NewJob(
            JOB_RENDER_DOCUMENT,
            payload,
            f"document:{invoice.id}:invoice",
            ctx.clock(),
            invoice.merchant_id,
        )
    )
    return [job for job in jobs if job is not None]


# Status changes ------------------------------------------------------------------------------


def open_invoice(ctx: ServiceContext, merchant_id: int, invoice_id: int) -> Invoice:
    """Finalise a draft: it gets its deadlines and can be sent and paid."""
    with ctx.db.transaction() as session:
        invoice = load_invoice(session, merchant_id, invoice_id, lock=True)
        store_state(invoice, state_of(invoice).open(), ctx.clock())
        ctx.record(session, invoice.id, "opened")
        merchant = session.get(models.Merchant, merchant_id)
        assert merchant is not None
        ctx.enqueue_many(
            session, _opening_jobs(ctx, session, invoice, plan_reminders(ctx, invoice, merchant))
        )
        return invoice


def void_invoice(ctx: ServiceContext, merchant_id: int, invoice_id: int, reason: str) -> Invoice:
    with ctx.db.transaction() as session:
        invoice = load_invoice(session, merchant_id, invoice_id, lock=True)
        store_state(invoice, state_of(invoice).void(), ctx.clock())
        ctx.record(session, invoice.id, "voided", reason=reason)
        return invoice


def close_store_invoice(
    ctx: ServiceContext, store_id: int, kind: SourceKind, external_id: str, reason: str
) -> str:
    """The store settled an order another way (paid there, cancelled): its invoice, if any,
    is voided when nothing was paid through it; money already paid is flagged for a refund."""
    with ctx.db.transaction() as session:
        invoice = session.scalars(
            select(Invoice)
            .where(
                Invoice.store_id == store_id,
                Invoice.source_kind == kind.value,
                Invoice.external_id == external_id,
            )
            .with_for_update()
        ).one_or_none()
        if invoice is None:
            return "no invoice"
        if invoice.status in PAYABLE and invoice.amount_paid == 0:
            store_state(invoice, state_of(invoice).void(), ctx.clock())
            ctx.record(session, invoice.id, "voided", reason=reason)
            return f"invoice {invoice.number} cancelled"
        if invoice.amount_paid > 0 and invoice.status != InvoiceStatus.PAID:
            ctx.record(session, invoice.id, "settled_in_store_too", reason=reason)
            return f"invoice {invoice.number} is partly paid: {reason}, refund what we received"
        return f"invoice {invoice.number} is {invoice.status.value}"


def _apply_deadline(ctx: ServiceContext, merchant_id: int, invoice_id: int, kind: str) -> None:
    with ctx.db.transaction() as session:
        invoice = load_invoice(session, merchant_id, invoice_id, lock=True)
        now = ctx.clock()
        before = state_of(invoice)
        after = before.mark_overdue(now) if kind == "overdue" else before.expire(now)
        if after.status != before.status:
            store_state(invoice, after, now)
            ctx.record(session, invoice.id, kind)


def mark_overdue(ctx: ServiceContext, merchant_id: int, invoice_id: int) -> None:
    """Past its due date and not fully paid: overdue. Safe to run late or twice."""
    _apply_deadline(ctx, merchant_id, invoice_id, "overdue")


def expire_invoice(ctx: ServiceContext, merchant_id: int, invoice_id: int) -> None:
    """A flash-sale invoice nobody started paying stops being payable at its expiry."""
    _apply_deadline(ctx, merchant_id, invoice_id, "expired")
