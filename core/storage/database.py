"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with `synchronous=FULL`, because a 2xx answered to a webhook promises the
event is on disk, and every writing transaction starts with BEGIN IMMEDIATE: SQLite has one
writer, and taking the write lock up front makes concurrent writers wait (busy_timeout) instead
of failing with "database is locked" when a read-then-write transaction tries to upgrade its
lock. Transactions that only read (`Database.reading`) begin deferred and never wait for it.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Dialect,
    Engine,
    Select,
    Table,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from core import json_text
from core.errors import ConfigurationError
from core.storage.group_commit import BulkWrite, GroupCommit
from core.storage.notices import NoticeListener

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Between two tries for SQLite's write lock (`_take_write_lock`), jittered. Waits doubling
#: up to 0.5 or 2 ms measured slower (bench.webhooks): a writer holds the lock briefly.
LOCK_WAIT_SECONDS = 0.0002
#: The execution option of a transaction that only reads (`Database.reading`).
READ_ONLY = "paylink_read_only"
#: A pooled PostgreSQL connection idle longer than this is pinged before use (a restarted
#: server or a dropped connection is found then); a busy one is not, sparing every request the
#: round trip `pool_pre_ping` would add.
IDLE_BEFORE_PING_SECONDS = 30.0
#: JSON columns and parameters written and read by orjson (`core.json_text`: why).
JSON_CODEC = {"json_serializer": json_text.dumps, "json_deserializer": json_text.loads}


def make_engine(database_url: str, **options: Any) -> Engine:
    """An engine for the URL; `postgresql://` URLs use psycopg 3."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise ConfigurationError(f"PAYLINK_DATABASE_URL {database_url!r} is not a URL") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            _private_file(Path(url.database))
        engine = create_engine(url, **JSON_CODEC, **options)
        _configure_sqlite(engine)
        return engine
    if url.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_recycle=1800, **JSON_CODEC, **options)
        # Several rows of one INSERT through SQLAlchemy (an ORM flush) as one multi-row
        # statement, as with RETURNING, rather than psycopg's pipelined executemany, whose
        # protocol round in Python costs more than the rows: deliveries +13% (bench). The
        # group commit's own writes do the same on the driver (`core.storage.driver_write`).
        engine.dialect.use_insertmanyvalues_wo_returning = True
        _ping_when_idle(engine)
        return engine
    raise ConfigurationError(
        f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql"
    )


def _private_file(path: Path) -> None:
    """Create the database file (and its folder) readable by their owner only: it holds
    ciphertexts, but also names, amounts and the blind indexes. SQLite gives its -wal and -shm
    files the database file's permissions."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            _take_write_lock(connection)


def _take_write_lock(connection: Connection) -> None:
    """BEGIN IMMEDIATE, retried every fraction of a millisecond while another process holds
    the write lock. SQLite's own busy handler sleeps 1, 2, 5 ... then 100 ms between tries: a
    writer in a second process then starves behind one that commits every few milliseconds (a
    gunicorn worker's group commits), and its requests wait hundreds of milliseconds (bench:
    webhook p99 763 ms; 55 ms with this). Here a try every fraction of a millisecond,
    jittered, and the busy timeout still bounds the whole: the last try goes through
    SQLAlchemy, so giving up raises its OperationalError as before."""
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute("PRAGMA busy_timeout=0")
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error):
                    break
            time.sleep(LOCK_WAIT_SECONDS * random.uniform(0.5, 1.5))  # noqa: S311 (jitter)
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # once more, its failure SQLAlchemy's
    finally:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle = time.monotonic() - record.info.get("checked_in", 0.0)
        if idle <= IDLE_BEFORE_PING_SECONDS:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as error:  # the driver's own errors: the connection is gone
            raise DisconnectionError(f"idle connection dropped: {error}") from error


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class Database:
    """An engine and its session factory: what the app, workers and CLI share."""

    def __init__(self, database_url: str, **options: Any) -> None:
        self.url = database_url
        self.engine = make_engine(database_url, **options)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        reader = self.engine.execution_options(**{READ_ONLY: True, "postgresql_readonly": True})
        self.reader = reader
        self.readers = sessionmaker(reader, expire_on_commit=False)
        # psycopg runs every statement in a transaction unless told otherwise; pysqlite begins
        # none for a SELECT.
        self._autocommit = is_postgresql(self.engine)
        self.group = GroupCommit(self.transaction)
        self._listeners: list[NoticeListener] = []

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads: on SQLite a deferred BEGIN (readers never queue behind
        the one writer), on PostgreSQL READ ONLY. One consistent snapshot for a whole page."""
        with self.readers() as session, session.begin():
            yield session

    def fetch_row(self, read: DriverRead, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """One row of `read` for the values of its parameters, run on `driver_cursor` (a
        statement sees one snapshot by itself: a BEGIN and a COMMIT, round trips on PostgreSQL,
        would buy nothing), as the driver returns it (`DriverRead.typed` converts it). For the
        hottest reads (the payment page's version, a delivery's store), where SQLAlchemy's
        Connection, execution and result machinery cost twice to three times the query
        itself. The engine's `before_cursor_execute` listeners still hear of the statement
        (with no Connection), so statement counts stay honest."""
        parameters = read.parameters(values)
        with self.driver_cursor() as cursor:
            self.engine.dispatch.before_cursor_execute(
                None, cursor, read.sql, parameters, None, False
            )
            cursor.execute(read.sql, parameters)
            row = cursor.fetchone()
        return None if row is None else tuple(row)

    @contextmanager
    def driver_cursor(self) -> Iterator[Any]:
        """A pooled connection's own cursor, outside any transaction: on PostgreSQL in
        autocommit, each statement a transaction of its own (committed, durably, when it
        returns); pysqlite begins none for a SELECT. The connection goes back to the pool out
        of autocommit (the next user's transactions need it), and a dropped one is not reused
        (the pool's reset finds it, or `invalidate`)."""
        pooled = self.engine.raw_connection()
        driver = cast(Any, pooled.driver_connection)
        cursor = None
        try:
            if self._autocommit:
                driver.autocommit = True
            cursor = pooled.cursor()
            yield cursor
        finally:
            if cursor is not None:
                cursor.close()
            try:
                if self._autocommit:
                    driver.autocommit = False
            except self.engine.dialect.loaded_dbapi.Error as error:
                pooled.invalidate(error)  # dropped: the pool makes a new one
                raise
            finally:
                pooled.close()

    def read_row(self, statement: Select[Any], values: Mapping[str, Any]) -> Any | None:
        """The first row of `statement` for the values of its bound parameters, run as
        `fetch_row` and converted (`DriverRead.typed`; its columns by name): for the lookups
        every request of a hot path pays (a delivery's store, an API call's key)."""
        read = driver_read(statement, self.engine.dialect, *sorted(values))
        row = self.fetch_row(read, values)
        return None if row is None else read.typed(row)

    def batched_together(self, write: BulkWrite[Any, T], item: Any) -> T:
        """`item` written by `write` together with the other items of its kind waiting for the
        same group commit; returns `write`'s result for it once that commit is done."""
        return self.group.run_together(write, item)

    def listen(
        self,
        channels: tuple[str, ...],
        on_notice: Callable[[str], None],
        on_reset: Callable[[], None],
    ) -> NoticeListener | None:
        """The `NoticeListener` handing the notices of `channels` to `on_notice` on PostgreSQL,
        stopped with this database; None on SQLite, which has no notices. The channels
        subscribed before the first one starts share it (and its connection); later ones get
        a listener of their own."""
        if not is_postgresql(self.engine):
            return None
        listener = self._listeners[-1] if self._listeners else None
        if listener is None or not listener.subscribe(channels, on_notice, on_reset):
            listener = NoticeListener(self.engine)
            listener.subscribe(channels, on_notice, on_reset)
            self._listeners.append(listener)
        return listener

    def dispose(self) -> None:
        for listener in self._listeners:
            listener.stop()
        self.engine.dispose()


@dataclass(frozen=True)
class DriverRead:
    """A Core SELECT compiled once for a dialect into the driver's own SQL (its literals
    rendered in, as SQLAlchemy does when it executes), with what `Database.fetch_row` needs to
    run it on the driver's cursor: its bound parameters in the driver's style (positional on
    SQLite, named on PostgreSQL) and the result processors SQLAlchemy would apply to each
    column (text to datetime on SQLite, JSON, booleans, the models' own types)."""

    sql: str
    #: The parameters' names in the SQL's order (SQLite), or None for named ones (PostgreSQL).
    order: tuple[str, ...] | None
    fixed: Mapping[str, Any]
    row: Callable[..., Any]
    processors: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def compile(cls, statement: Select[Any], dialect: Dialect, *parameters: str) -> DriverRead:
        """`statement`, whose bound `parameters` are given at each run, for `dialect`."""
        compiled = statement.compile(dialect=dialect)
        expanded = compiled.construct_expanded_state(dict.fromkeys(parameters))
        columns = statement.selected_columns
        return cls(
            sql=expanded.statement,
            order=None if expanded.positiontup is None else tuple(expanded.positiontup),
            fixed={k: v for k, v in expanded.parameters.items() if k not in parameters},
            row=namedtuple("DriverRow", list(columns.keys())),
            processors=result_processors(columns, dialect),
        )

    def parameters(self, values: Mapping[str, Any]) -> Any:
        merged = {**self.fixed, **values}
        return merged if self.order is None else tuple(merged[name] for name in self.order)

    def typed(self, row: tuple[Any, ...]) -> Any:
        """A row as SQLAlchemy would return it: its values converted, its columns by name."""
        values = zip(row, self.processors, strict=True)
        return self.row(*[value if p is None else p(value) for value, p in values])


def result_processors(
    columns: Iterable[ColumnElement[Any]], dialect: Dialect
) -> tuple[Callable[[Any], Any] | None, ...]:
    """The conversions SQLAlchemy applies to each of `columns` as `dialect`'s driver returns
    it (text to datetime on SQLite, JSON, booleans, the models' own types), None where none."""
    return tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
    )


@lru_cache(maxsize=16)
def driver_read(statement: Select[Any], dialect: Dialect, *parameters: str) -> DriverRead:
    """`DriverRead.compile`, once per statement, dialect and parameters: the hot reads' are
    module constants, compiled on first use."""
    return DriverRead.compile(statement, dialect, *parameters)


def insert_once(
    session: Session, model: type[Any], values: dict[str, Any], unique: list[str]
) -> int | None:
    """INSERT ... ON CONFLICT (unique) DO NOTHING RETURNING id: the new row's id, or None when
    that row exists already. The unique constraint decides, however many deliveries race."""
    statement = insert_once_statement(
        session.get_bind().dialect.name, cast(Table, model.__table__), tuple(unique)
    )
    created = session.execute(statement, values).first()
    return None if created is None else int(created[0])


@lru_cache(maxsize=32)
def insert_once_statement(dialect: str, table: Table, unique: tuple[str, ...]) -> Any:
    """INSERT ... ON CONFLICT (unique) DO NOTHING RETURNING the id and the unique columns,
    built once per table, on the table rather than its ORM class, its rows bound at execution:
    an insert costs the database's work, not SQLAlchemy's (building the statement and the ORM's
    bulk path cost ~0.3 ms, five times the insert), and a list of rows is one multi-row INSERT
    (`write_rows`), each inserted row returned with its key."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(table.c.id, *(table.c[column] for column in unique))
    )
