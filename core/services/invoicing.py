"""Invoice use cases: create (idempotently), open, void, mark overdue, expire.

Each is one transaction that changes the invoice, appends to its timeline and enqueues the jobs
the change causes. Rules about amounts and statuses live in `core.invoices`; this module loads,
applies and stores.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, inspect, or_, select, update
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
from core.services.billing import invoice_settings
from core.services.context import ServiceContext
from core.services.reminder_schedule import due_job, plan_reminders
from core.storage import models
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

    Written in a transaction shared with the process's concurrent creations (group commit:
    one commit for many API calls), returning once it committed. The same order twice, even
    concurrently, gives one invoice: the INSERT is tried first and the database's unique
    constraint decides; a replay or the loser of a race reads the existing row afterwards (so
    the usual case, a new order, costs no look-up before it).
    """
    for _ in range(LINK_CODE_ATTEMPTS):
        try:
            return ctx.db.batched(lambda session: _create(ctx, session, merchant_id, request)), True
        except IntegrityError:
            with ctx.db.reading() as session:
                existing = _find_by_source(session, merchant_id, request)
            if existing is not None:
                return _same_invoice(existing, request), False
            # else a link code collision (72 random bits): draw another
    raise Conflict("could not allocate a unique link code")


def _create(
    ctx: ServiceContext, session: Session, merchant_id: int, request: InvoiceRequested
) -> Invoice:
    merchant, sequence = _take_number(session, merchant_id)
    _check_store(session, merchant_id, request)
    return _insert_invoice(ctx, session, merchant, sequence, request)


def create_invoice_in(
    ctx: ServiceContext, session: Session, merchant_id: int, request: InvoiceRequested
) -> tuple[Invoice, bool]:
    """`create_invoice` inside the caller's transaction (an abandoned cart becomes its invoice
    in the same transaction that marks it invoiced): the INSERT in a savepoint, so a replay or
    a lost race reads the existing row and leaves the caller's transaction usable."""
    for _ in range(LINK_CODE_ATTEMPTS):
        try:
            with session.begin_nested():
                invoice = _create(ctx, session, merchant_id, request)
        except IntegrityError:
            existing = _find_by_source(session, merchant_id, request)
            if existing is not None:
                return _same_invoice(existing, request), False
            continue  # a link code collision (72 random bits): draw another
        return invoice, True
    raise Conflict("could not allocate a unique link code")


def _check_store(session: Session, merchant_id: int, request: InvoiceRequested) -> None:
    if request.store_id is not None:
        store = session.get(models.Store, request.store_id)
        if store is None or store.merchant_id != merchant_id:
            raise NotFound(f"no store {request.store_id}")


def _same_invoice(existing: Invoice, request: InvoiceRequested) -> Invoice:
    totals = request.content.totals()
    if (existing.currency, existing.total) != (request.content.currency, totals.total.minor):
        raise Conflict(
            f"invoice {existing.number} already exists for {request.source_kind} "
            f"{request.external_id} with a different total"
        )
    return existing


def _take_number(session: Session, merchant_id: int) -> tuple[models.Merchant, int]:
    """The merchant, with the next number of its continuous sequence: its counter incremented
    under the row lock, the row read back by the same statement (a plain copy: a merchant the
    caller's session holds keeps its own, and nothing here changes it)."""
    row = session.execute(_TAKE_NUMBER, {"merchant": merchant_id}).one_or_none()
    if row is None:
        raise NotFound(f"no merchant {merchant_id}")
    merchant = models.Merchant(**row._mapping)
    return merchant, merchant.last_invoice_sequence


def _utc(moment: datetime | None) -> datetime | None:
    """Stored and answered in UTC, whatever offset the caller wrote."""
    return moment.astimezone(UTC) if moment else None


def _shop_amount(shop_total: Money | None, currency: str) -> dict[str, object]:
    """The store's own conversion of an order in another currency, when it gave a usable one
    (only the merchant's figures read it: a nonsensical one is left out, not refused)."""
    if shop_total is None or shop_total.currency == currency or shop_total.minor <= 0:
        return {}
    return {"shop_currency": shop_total.currency, "shop_total": shop_total.minor}


# A creation's statements, built once on the tables (Core): through the ORM's unit of work
# (flush, identity map, one INSERT per line on SQLite) an invoice cost ~2 ms of CPU, most of it
# SQLAlchemy's, while the merchant's numbering lock was held.
_MERCHANTS = cast(Table, models.Merchant.__table__)
_TAKE_NUMBER = (
    update(_MERCHANTS)
    .where(_MERCHANTS.c.id == bindparam("merchant"))
    .values(last_invoice_sequence=_MERCHANTS.c.last_invoice_sequence + 1)
    .returning(*_MERCHANTS.c)
)
_INVOICES = cast(Table, Invoice.__table__)
_INVOICE_COLUMNS = tuple(column.key for column in _INVOICES.c if column.key != "id")
_INSERT_INVOICE = insert(_INVOICES).returning(_INVOICES.c.id)
_INSERT_LINES = insert(cast(Table, models.InvoiceLine.__table__))


def _insert_invoice(
    ctx: ServiceContext,
    session: Session,
    merchant: models.Merchant,
    sequence: int,
    request: InvoiceRequested,
) -> Invoice:
    """The invoice's row (already carrying its reminder schedule), its lines, timeline and
    jobs, each in one statement. The invoice returned is a plain copy of what was written, its
    id and lines included: it is not in the session."""
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
    number = format_invoice_number(merchant.invoice_prefix, now.year, sequence)
    lines = [
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
    invoice.id = session.execute(_INSERT_INVOICE, _row_of(invoice)).scalar_one()
    session.execute(_INSERT_LINES, [{"invoice_id": invoice.id, **line} for line in lines])
    source, total = request.source_kind.value, totals.total.minor
    ctx.record_now(session, invoice.id, "created", source=source, total=total)
    if settings.decision.rules:
        ctx.record_now(session, invoice.id, "rules_applied", rules=settings.decision.rules)
    if not request.draft:
        _on_open(ctx, session, invoice, due_steps)
    return invoice


def _row_of(invoice: Invoice) -> dict[str, object]:
    """The columns a new invoice was given (the others take their defaults)."""
    given = inspect(invoice).dict
    return {column: given[column] for column in _INVOICE_COLUMNS if column in given}


def _on_open(
    ctx: ServiceContext, session: Session, invoice: Invoice, due_steps: list[ReminderStep]
) -> None:
    """An invoice just opened (its reminders planned on the row): jobs that move it to overdue
    or expired when its dates pass, and its messages (the invoice itself, then reminders) on
    the merchant's schedule, written in one statement."""
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
    ctx.enqueue_many(session, [job for job in jobs if job is not None])


# Status changes ------------------------------------------------------------------------------


def open_invoice(ctx: ServiceContext, merchant_id: int, invoice_id: int) -> Invoice:
    """Finalise a draft: it gets its deadlines and can be sent and paid."""
    with ctx.db.transaction() as session:
        invoice = load_invoice(session, merchant_id, invoice_id, lock=True)
        store_state(invoice, state_of(invoice).open(), ctx.clock())
        ctx.record(session, invoice.id, "opened")
        merchant = session.get(models.Merchant, merchant_id)
        assert merchant is not None
        _on_open(ctx, session, invoice, plan_reminders(ctx, invoice, merchant))
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
