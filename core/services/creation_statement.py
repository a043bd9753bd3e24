"""PostgreSQL: a new invoice numbered and written, with its lines, timeline and jobs, by one
statement that is a transaction of its own.

Numbering an invoice locks its merchant's row until the transaction commits. Through the group
commit that lock was held across seven round trips (BEGIN, the numbering, the invoice, its lines,
its timeline, its jobs, COMMIT), after each of which the writer thread had to get the GIL back
from its process's request threads: every creation of the merchant, in every process, queued
behind that (1.4x the creations a second once gone, measured). As one statement in autocommit
(`write_alone`) the row is locked only while the server runs it and flushes its commit,
whatever Python does meanwhile, and concurrent creations still share flushes (PostgreSQL's own
group commit). The invoice's id is drawn from its sequence by the statement too: drawn first, by
a round trip of its own, it cost a tenth of the creations a second (1.12x once gone, measured;
a round trip through the pool and the driver costs more of the process's CPU than its SQL
costs the server). Its jobs' keys and payloads are still made by `new_invoice_jobs`, for a
placeholder id (`ID_SLOT`) that the statement replaces with the one it draws.

The number and its reference key are computed by the server, under the lock, as
`format_invoice_number` and `reconcile.reference_key` compute them (a test holds the two to the
same results). SQLite keeps the group commit: one writer at a time holds its lock anyway, and
one fsync serves the whole batch.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Insert,
    Integer,
    Table,
    Text,
    bindparam,
    column,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql

from core.errors import NotFound
from core.invoices import InvoiceStatus
from core.jobs import NewJob, pending_jobs_from
from core.reconcile import NOT_ALPHANUMERIC, REFERENCE_KEY_MAX, reference_key
from core.reminders import ReminderStep
from core.services.context import PendingEvent, ServiceContext
from core.services.invoicing import new_invoice_jobs
from core.services.reminder_schedule import superseded_events
from core.storage import models
from core.storage.driver_write import write_alone
from core.storage.models import Invoice


def invoice_number_sql(
    prefix: ColumnElement[Any], year: ColumnElement[Any], sequence: ColumnElement[Any]
) -> ColumnElement[str]:
    """`format_invoice_number` in SQL: the sequence zero-padded to six digits, never cut."""
    digits = sql_cast(sequence, Text)
    padded = func.lpad(digits, func.greatest(6, func.length(digits)), "0")
    return prefix + "-" + sql_cast(year, Text) + "-" + padded


def reference_key_sql(number: ColumnElement[Any]) -> ColumnElement[str]:
    """`reconcile.reference_key` in SQL."""
    letters_and_digits = func.regexp_replace(number, NOT_ALPHANUMERIC.pattern, "", "g")
    return func.right(func.upper(letters_and_digits), REFERENCE_KEY_MAX)


def _recordset(name: str, *columns: Any) -> Any:
    """The rows of the JSON array bound as `name`, with these typed columns (one statement
    for any number of lines, events or jobs: compiled once)."""
    array = bindparam(name, type_=postgresql.JSONB)
    return func.jsonb_to_recordset(array).table_valued(*columns).render_derived(with_types=True)


def _creation_statement() -> Insert:
    merchants = cast(Table, models.Merchant.__table__)
    stores = cast(Table, models.Store.__table__)
    invoices = cast(Table, Invoice.__table__)
    merchant_id = bindparam("merchant_id", type_=invoices.c.merchant_id.type)
    store_id = bindparam("store_id", type_=invoices.c.store_id.type)
    now = bindparam("now", type_=invoices.c.created_at.type)
    # The merchant's next number, taken only if the order's store is the merchant's own: the
    # rows below are selected from it, so without it nothing is written.
    taken = (
        update(merchants)
        .where(
            merchants.c.id == merchant_id,
            or_(
                store_id.is_(None),
                exists().where(stores.c.id == store_id, stores.c.merchant_id == merchant_id),
            ),
        )
        .values(last_invoice_sequence=merchants.c.last_invoice_sequence + 1)
        .returning(
            invoice_number_sql(
                merchants.c.invoice_prefix,
                bindparam("year", type_=Integer),
                merchants.c.last_invoice_sequence,
            ).label("number"),
            func.nextval(func.pg_get_serial_sequence(invoices.name, invoices.c.id.name)).label(
                "id"
            ),
        )
        .cte("taken")
    )
    lines = _recordset(
        "lines",
        column("position", Integer),
        column("label", Text),
        column("sku", Text),
        column("quantity", Integer),
        column("unit_price", BigInteger),
        column("tax", BigInteger),
    )
    line_rows = insert(cast(Table, models.InvoiceLine.__table__)).from_select(
        ["invoice_id", "position", "label", "sku", "quantity", "unit_price", "tax"],
        select(
            taken.c.id,
            lines.c.position,
            lines.c.label,
            lines.c.sku,
            lines.c.quantity,
            lines.c.unit_price,
            lines.c.tax,
        ).select_from(taken.join(lines, true())),
    )
    events = _recordset("events", column("kind", Text), column("data", postgresql.JSONB))
    event_rows = insert(cast(Table, models.TimelineEvent.__table__)).from_select(
        ["invoice_id", "kind", "at", "data"],
        select(taken.c.id, events.c.kind, now, sql_cast(events.c.data, JSON)).select_from(
            taken.join(events, true())
        ),
    )
    jobs = _recordset(
        "jobs",
        column("kind", Text),
        column("payload", postgresql.JSONB),
        column("key_head", Text),
        column("key_tail", Text),
        column("run_at", postgresql.TIMESTAMP(timezone=True)),
    )
    job_rows = pending_jobs_from(
        taken.join(jobs, true()),
        kind=jobs.c.kind,
        payload=func.jsonb_build_object("invoice_id", taken.c.id).op("||")(jobs.c.payload),
        key=jobs.c.key_head + sql_cast(taken.c.id, Text) + jobs.c.key_tail,
        merchant_id=merchant_id,
        run_at=jobs.c.run_at,
        max_attempts=bindparam("max_attempts", type_=Integer),
        created_at=now,
    )
    # The row from one JSON object (`_json_row`), read into the table's own row type: one
    # parameter rather than forty, which keeps the statement short enough for the driver to
    # cache its parsing.
    numbered = bindparam("invoice", type_=postgresql.JSONB).op("||")(
        func.jsonb_build_object(
            "id",
            taken.c.id,
            "number",
            taken.c.number,
            "reference_key",
            reference_key_sql(taken.c.number),
        )
    )
    row = func.jsonb_populate_record(literal_column(f"NULL::{invoices.name}"), numbered)
    record = row.table_valued(*_COLUMNS).alias("i")
    return (
        insert(invoices)
        .from_select(_COLUMNS, select(*record.c).select_from(taken.join(record, true())))
        .returning(invoices.c.id, invoices.c.number)
        .add_cte(line_rows.cte("line_rows"), event_rows.cte("event_rows"), job_rows.cte("job_rows"))
    )


def _slotted(job: NewJob) -> dict[str, object]:
    """An opening job made for `ID_SLOT`, as the statement's JSON reads it: its payload without
    the invoice's id (the statement adds the one drawn), its key around it."""
    payload = dict(job.payload)
    head, found, tail = job.key.partition(f":{ID_SLOT}:")
    if payload.pop("invoice_id", None) != ID_SLOT or not found:
        raise ValueError(f"job {job.key!r} does not name its invoice as 'kind:<id>:...'")
    return {
        "kind": job.kind,
        "payload": payload,
        "key_head": head + ":",
        "key_tail": ":" + tail,
        "run_at": job.run_at.isoformat(),
    }


def _json_row(invoice: Invoice) -> dict[str, object]:
    """Every column of a new invoice (`prepare_invoice` gave each a value) as JSON that
    `jsonb_populate_record` reads back into the column's type: a moment in ISO 8601 with its
    offset (a naive one refused, as `UTCDateTime` refuses it), an enum by its value."""
    given = invoice.__dict__
    row: dict[str, object] = {}
    for name in _COLUMNS:
        value = given.get(name)
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"{name}: naive datetimes are not stored")
            value = value.isoformat()
        elif isinstance(value, Enum):
            value = value.value
        row[name] = value
    return row


_COLUMNS = tuple(column.key for column in cast(Table, Invoice.__table__).c)
#: The id a new invoice's jobs are made for before the statement draws the real one: never an
#: invoice's (ids are positive), and written as a field of its own in their keys
#: ("invoice:<id>:overdue"), so that it is found there and nowhere else.
ID_SLOT = -1
_CREATE = _creation_statement()


def create_alone(
    ctx: ServiceContext,
    invoice: Invoice,
    lines: list[dict[str, object]],
    events: list[PendingEvent],
    due_steps: list[ReminderStep],
) -> Invoice:
    """Number and write `invoice` (prepared: all but its id and number) with its `lines`, the
    timeline `events` of its creation and its opening jobs, as one transaction; returns it with
    its id and number. Raises the `IntegrityError` of an order already invoiced or of a link
    code drawn twice (nothing written), NotFound when the order's store is not the merchant's."""
    invoice.id = ID_SLOT
    events = events + superseded_events(due_steps)
    opened = invoice.status != InvoiceStatus.DRAFT
    jobs = new_invoice_jobs(ctx, invoice, due_steps) if opened else []
    row = {
        "invoice": _json_row(invoice),
        "merchant_id": invoice.merchant_id,
        "store_id": invoice.store_id,
        "now": invoice.created_at,
        "year": invoice.created_at.year,
        "lines": lines,
        "events": [{"kind": kind, "data": data} for kind, data in events],
        "jobs": [_slotted(job) for job in jobs],
        "max_attempts": ctx.job_max_attempts,
    }
    written = write_alone(ctx.db, _CREATE, row)
    if not written:
        store = invoice.store_id
        raise NotFound(f"no store {store}" if store is not None else "no such merchant")
    [(invoice.id, invoice.number)] = written
    invoice.reference_key = reference_key(invoice.number)
    return invoice
