"""Writes on the driver's cursor (`write_rows`) store exactly what SQLAlchemy's execution stores
(dates, JSON, enums, the defaults of left-out columns), return their RETURNING rows in order,
stay inside the session's transaction, raise SQLAlchemy's own errors, and are counted like any
statement. On SQLite and PostgreSQL; a statement alone in autocommit (`write_alone`) on
PostgreSQL."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from core.jobs import JobStatus, _enqueue_statement
from core.storage.database import Database
from core.storage.driver_write import DriverWrite, write_alone, write_rows
from core.storage.models import Job
from tests.support.sql_counts import counted_statements

JOBS = Job.__table__
AT = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)


def job(key, **changes):
    return {
        "kind": "deliver",
        "payload": {"invoice_id": 7, "note": "Crème brûlée"},
        "key": key,
        "merchant_id": None,
        "run_at": AT,
        "max_attempts": 5,
        "created_at": AT - timedelta(hours=1),
    } | changes


def stored(database, key):
    """The row of `key` as the database holds it, read with plain SQL (no type conversion on
    the way back: what was stored, byte for byte on SQLite)."""
    with database.transaction() as session:
        return tuple(
            session.execute(
                text(
                    "SELECT kind, payload, status, run_at, attempts, max_attempts, created_at"
                    " FROM jobs WHERE idempotency_key = :key"
                ),
                {"key": key},
            ).one()
        )


def test_rows_are_stored_as_sqlalchemy_stores_them(database):
    statement = _enqueue_statement(database.engine.dialect.name)
    with database.transaction() as session:
        session.execute(statement, job("through-sqlalchemy"))
        write_rows(session, statement, [job("on-the-driver")])
    assert stored(database, "on-the-driver") == stored(database, "through-sqlalchemy")
    with database.transaction() as session:
        written = session.scalars(select(Job).where(Job.idempotency_key == "on-the-driver")).one()
    assert (written.payload, written.status, written.run_at) == (
        {"invoice_id": 7, "note": "Crème brûlée"},
        JobStatus.PENDING,
        AT,
    )


def test_left_out_columns_take_their_defaults(database):
    row = job("defaults") | {"idempotency_key": "defaults", "status": JobStatus.PENDING}
    del row["key"]
    with database.transaction() as session:
        write_rows(session, insert(JOBS), [row])
    assert stored(database, "defaults")[4] == 0  # attempts: its default


def test_several_rows_return_theirs_in_order_and_a_conflict_returns_none(database):
    statement = _enqueue_statement(database.engine.dialect.name).returning(JOBS.c.idempotency_key)
    with database.transaction() as session:
        write_rows(session, statement, [job("b")])
    with database.transaction() as session:
        returned = write_rows(session, statement, [job("a"), job("b"), job("c")])
    assert returned == [("a",), ("c",)]


def test_a_violated_constraint_is_sqlalchemys_error_and_nothing_is_kept(database):
    with pytest.raises(IntegrityError), database.transaction() as session:
        write_rows(session, insert(JOBS), [job("same") | {"idempotency_key": "twice"}] * 2)
    with database.transaction() as session:
        assert session.scalars(select(Job)).all() == []


def test_a_statement_is_counted_and_stays_in_the_sessions_transaction(database):
    statement = _enqueue_statement(database.engine.dialect.name)
    with counted_statements(database.engine) as counted, database.transaction() as session:
        write_rows(session, statement, [job("one"), job("two")])
        session.rollback()
    assert len(counted.writes) == 1 and counted.transactions == 1
    with database.transaction() as session:
        assert session.scalars(select(Job)).all() == []


def test_no_rows_and_computed_defaults_left_out_are_refused(database):
    with database.transaction() as session, pytest.raises(ValueError, match="no rows"):
        write_rows(session, insert(JOBS), [])
    stamped = Table(
        "stamped",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", DateTime, default=lambda: AT),
    )
    with pytest.raises(ValueError, match="at: give it in every row"):
        DriverWrite.compile(insert(stamped), sqlite.dialect(), ("id",))


def test_rows_beyond_one_statements_parameters_go_in_several(database, monkeypatch):
    monkeypatch.setattr("core.storage.driver_write.MAX_PARAMETERS", 20)  # 2 jobs a statement
    statement = _enqueue_statement(database.engine.dialect.name).returning(JOBS.c.idempotency_key)
    with counted_statements(database.engine) as counted, database.transaction() as session:
        returned = write_rows(session, statement, [job(key) for key in "abcde"])
    assert returned == [(key,) for key in "abcde"] and len(counted.writes) == 3


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_statement_alone_is_committed_when_it_returns(database, database_url):
    """`write_alone`: one statement in autocommit, seen by another connection at once, what it
    returns converted; nothing else runs (no BEGIN, no COMMIT)."""
    statement = _enqueue_statement("postgresql").returning(JOBS.c.run_at, JOBS.c.status)
    with counted_statements(database.engine) as counted:
        returned = write_alone(database, statement, job("alone"))
    assert returned == [(AT, JobStatus.PENDING)]
    assert (len(counted.statements), counted.transactions) == (1, 0)
    other = Database(database_url)
    try:
        assert stored(other, "alone")[0] == "deliver"
    finally:
        other.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_statement_alone_that_fails_keeps_nothing_and_leaves_its_connection_usable(database):
    """A violated constraint is SQLAlchemy's error, and the pooled connection it ran on goes
    back out of autocommit: the next transaction's rollback still undoes its writes."""
    database.engine.pool.dispose()  # one connection in the pool from here: the one reused
    with pytest.raises(IntegrityError):
        write_alone(database, insert(JOBS), job("bad") | {"idempotency_key": None})
    with pytest.raises(RuntimeError), database.transaction() as session:
        write_rows(session, _enqueue_statement("postgresql"), [job("rolled-back")])
        raise RuntimeError("undo")
    with database.transaction() as session:
        assert session.scalars(select(Job)).all() == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_statement_alone_is_postgresqls(database):
    with pytest.raises(ValueError, match="PostgreSQL"):
        write_alone(database, _enqueue_statement("sqlite"), job("alone"))


def test_an_insert_from_a_select_keeps_its_ctes_as_written():
    """An INSERT ... SELECT names its own columns and parameters: the row's keys are not
    made SET clauses of an UPDATE inside it (which would have overwritten every column of the
    rows it updates), and its rows run one by one (it has no VALUES row to repeat)."""
    metadata = MetaData()
    counters = Table("counters", metadata, Column("id", Integer, primary_key=True),
                     Column("last", Integer), Column("label", Integer))  # fmt: skip
    copies = Table(
        "copies", metadata, Column("id", Integer, primary_key=True), Column("last", Integer)
    )
    taken = (
        update(counters)
        .where(counters.c.id == bindparam("id"))
        .values(last=counters.c.last + 1)
        .returning(counters.c.last)
        .cte("taken")
    )
    statement = insert(copies).from_select(["last"], select(taken.c.last))
    compiled = DriverWrite.compile(statement, postgresql.psycopg.dialect(), ("id", "label"))
    assert "SET last=(counters.last + " in compiled.sql and "label" not in compiled.sql
    assert compiled.parts is None
