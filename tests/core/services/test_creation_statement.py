"""PostgreSQL's creation in one statement (`creation_statement`) against the group commit's
(`invoice_creation.Creations`): the same rows, the same numbers, nothing written when refused."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import _queries as psycopg_queries
from sqlalchemy import literal, select
from sqlalchemy.dialects import postgresql

from core.errors import NotFound
from core.invoices import format_invoice_number
from core.jobs import NewJob
from core.reconcile import reference_key
from core.services import billing, invoice_creation, invoicing
from core.services.accounts import connect_store
from core.services.creation_statement import (
    _CREATE,
    ID_SLOT,
    _slotted,
    invoice_number_sql,
    reference_key_sql,
)
from core.storage.models import Invoice, InvoiceLine, Job, Merchant, TimelineEvent
from tests.support.factories import ACME, BILLING_RULES, content, merchant, order
from tests.support.sql_counts import counted_statements

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

#: Two steps due the moment the invoice opens: the first is superseded by the second.
TWO_STEPS_AT_ONCE = [
    {"name": name, "anchor": "sent", "offset": "PT0S", "channel": "email", "template": "invoice"}
    for name in ("hello", "again")
]


@on_postgresql
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    # Any text a database stores: no NUL, no lone surrogate (not UTF-8).
    prefix=st.text(
        st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=12
    ),
    year=st.integers(1, 9999),
    sequence=st.integers(0, 2**62),
)
def test_the_server_numbers_as_python_does(ctx, prefix, year, sequence):
    """The number and its reference key computed under the merchant's lock are
    `format_invoice_number`'s and `reference_key`'s, whatever the prefix (accents, spaces,
    punctuation) and however long the sequence grew."""
    number = invoice_number_sql(literal(prefix), literal(year), literal(sequence))
    with ctx.db.reading() as session:
        computed, key = session.execute(select(number, reference_key_sql(number))).one()
    assert computed == format_invoice_number(prefix, year, sequence)
    assert key == reference_key(computed)


@on_postgresql
@pytest.mark.parametrize("business", [False, True], ids=["consumer", "business"])
def test_a_creation_alone_writes_what_a_batched_one_writes(ctx, clock, business):
    """The invoice row, its lines, its timeline (a superseded step included; for a business
    buyer the billing rules that applied) and its jobs, column for column, but for what makes
    each invoice itself (id, reference, code, number)."""
    shop = merchant(ctx)
    with ctx.db.transaction() as session:
        session.get(Merchant, shop.id).reminder_policy = TWO_STEPS_AT_ONCE
    billing.set_rules(ctx, shop.id, BILLING_RULES)
    asked = {
        "content": content("120.00", "30.50"),
        "expires_at": clock() + timedelta(days=40),
        "buyer": ACME if business else None,
    }
    alone, created = invoice_creation.create_invoice(ctx, shop.id, order("alone", **asked))
    with ctx.db.reading() as session:
        settings_now = session.get(Merchant, shop.id)
        session.expunge(settings_now)
    prepared = invoice_creation.prepare_invoice(ctx, settings_now, order("batched", **asked))
    with ctx.db.transaction() as session:
        [batched] = invoice_creation.Creations(ctx)(session, [prepared])
    assert created
    assert (alone.number, batched.number) == ("F-2026-000001", "F-2026-000002")
    written = stored(ctx, alone.id)
    assert written == stored(ctx, batched.id)
    assert [kind for kind, *_ in written["timeline"]] == [
        "created",
        "rules_applied",
        "reminder_skipped",
    ]
    assert written["invoice"]["early_discount"] > 0  # the big basket's rule
    assert (written["invoice"]["buyer"] is not None) == business
    with ctx.db.reading() as session:
        row = session.get(Invoice, alone.id)
        assert (row.number, row.reference_key) == (alone.number, "F2026000001")


def stored(ctx, invoice_id: int) -> dict[str, object]:
    """An invoice's rows, without what is its own (ids, reference, code, number)."""
    own = {"id", "external_id", "link_code", "number", "reference_key"}
    with ctx.db.reading() as session:
        invoice = session.get(Invoice, invoice_id)
        columns = {c.key: getattr(invoice, c.key) for c in Invoice.__table__.c if c.key not in own}
        columns["customer_email_ciphertext"] = columns["customer_phone_ciphertext"] = None
        columns["customer"] = invoicing.customer_of(invoice, ctx)  # each with its own nonce
        lines = session.execute(
            select(
                InvoiceLine.position,
                InvoiceLine.label,
                InvoiceLine.sku,
                InvoiceLine.quantity,
                InvoiceLine.unit_price,
                InvoiceLine.tax,
            )
            .where(InvoiceLine.invoice_id == invoice_id)
            .order_by(InvoiceLine.position)
        ).all()
        timeline = session.execute(
            select(TimelineEvent.kind, TimelineEvent.at, TimelineEvent.data)
            .where(TimelineEvent.invoice_id == invoice_id)
            .order_by(TimelineEvent.id)
        ).all()
        jobs = session.scalars(
            select(Job).where(Job.payload["invoice_id"].as_integer() == invoice_id)
        )
        same = ("kind", "merchant_id", "status", "run_at", "attempts", "max_attempts", "created_at")
        opening = sorted(
            (
                *(getattr(job, column) for column in same),
                job.idempotency_key.replace(str(invoice_id), "<id>"),
                job.payload | {"invoice_id": "<id>"},
            )
            for job in jobs
        )
    assert len(opening) == 4  # the step, overdue, expiry, document
    return {"invoice": columns, "lines": lines, "timeline": timeline, "jobs": opening}


@on_postgresql
def test_an_order_of_another_merchants_store_writes_nothing_in_one_statement(ctx):
    """Refused by the statement itself (the number is taken only for the merchant's own
    store): NotFound, nothing written, no number spent."""
    lune, soleil = merchant(ctx), merchant(ctx, "Boutique Soleil")
    store = connect_store(ctx, soleil.id, "shopify", "soleil.myshopify.com", {"token": "t"})
    with counted_statements(ctx.db.engine) as counted, pytest.raises(NotFound, match="no store"):
        invoice_creation.create_invoice(ctx, lune.id, order("1", store_id=store.id))
    assert [s.split()[0] for s in counted.writes] == ["WITH"]
    with ctx.db.reading() as session:
        assert session.scalars(select(Invoice)).all() == []
        assert session.scalars(select(Job)).all() == []
    first, _ = invoice_creation.create_invoice(ctx, lune.id, order("2"))
    assert first.number == "F-2026-000001"


def test_the_statement_stays_short_enough_for_the_driver_to_cache_its_parsing():
    """psycopg parses a statement's SQL again on every execution past these limits (its
    private constants, read here so that a psycopg that changes them is noticed): the
    invoice's row is one JSON parameter, not one parameter per column, to stay under them."""
    compiled = _CREATE.compile(dialect=postgresql.psycopg.dialect())
    assert len(compiled.string) <= psycopg_queries.MAX_CACHED_STATEMENT_LENGTH
    assert len(compiled.binds) <= psycopg_queries.MAX_CACHED_STATEMENT_PARAMS


def test_an_opening_job_is_written_for_the_id_the_statement_draws():
    """Its key split around the placeholder id (the first field after its kind, whatever the
    step's name repeats), its payload without it; a job that does not name its invoice so is
    refused rather than written under a wrong key."""
    step = NewJob("send-step", {"invoice_id": ID_SLOT, "step": "r:-1:"}, "reminder:-1:r:-1:", NOW)
    assert _slotted(step) == {
        "kind": "send-step",
        "payload": {"step": "r:-1:"},
        "key_head": "reminder:",
        "key_tail": ":r:-1:",
        "run_at": NOW.isoformat(),
    }
    for payload, key in (({"invoice_id": 7}, "invoice:-1:overdue"), ({}, "invoice:-1:overdue")):
        with pytest.raises(ValueError, match="does not name its invoice"):
            _slotted(NewJob("mark-overdue", payload, key, NOW))
    with pytest.raises(ValueError, match="does not name its invoice"):
        _slotted(NewJob("mark-overdue", {"invoice_id": ID_SLOT}, "invoice-overdue", NOW))
