"""The hottest writes run on the driver's cursor, in the session's own transaction or alone.

A group commit that creates invoices runs five statements while it holds the write lock
(SQLite) or the merchant's row (PostgreSQL). Through SQLAlchemy's Core execution a statement
costs ~75 us of Python around the driver's ~17 us (a one-row INSERT on SQLite, measured in a
loop): the statement's cache look-up, its execution context, its parameters processed row by
row, its result object. `DriverWrite` keeps what SQLAlchemy compiled (its SQL, the parameters'
order, each parameter's conversion from Python to the driver's type, the scalar defaults of the
columns a row leaves out) and runs it with the driver's `execute`, an INSERT's rows as one
multi-row statement: what the database receives is what SQLAlchemy would have sent. The engine's
`before_cursor_execute` listeners still hear of every statement, so statement counts stay
honest, and a driver error is raised as SQLAlchemy's own (an `IntegrityError` stays one).
`write_alone` runs one such statement as a transaction of its own (PostgreSQL, autocommit).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any, cast

from sqlalchemy import ColumnDefault, Connection, Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert, Update

from core.storage.database import Database, is_postgresql, result_processors

Processor = Callable[[Any], Any]


#: The most parameters one statement binds (SQLite allows 32,766, PostgreSQL 65,535).
MAX_PARAMETERS = 10_000
#: The most rows one multi-row INSERT carries.
MAX_ROWS = 1_000


@dataclass(frozen=True)
class DriverWrite:
    """An INSERT or UPDATE compiled once for a dialect and the keys its rows give. An INSERT's
    SQL is kept in three parts, its one row of VALUES between them, so that several rows are
    one statement (as SQLAlchemy's "insertmanyvalues" does): one round trip on PostgreSQL,
    where psycopg's pipelined `executemany` costs more in Python than the rows themselves."""

    sql: str
    #: An INSERT's SQL before its VALUES row, the row, and the SQL after it; None for an
    #: UPDATE or an INSERT ... SELECT (their rows run one by one).
    parts: tuple[str, str, str] | None
    #: The parameters' names in the SQL's order (SQLite), or None for named ones (PostgreSQL).
    order: tuple[str, ...] | None
    #: The values the statement itself carries (its literals, the left-out columns' defaults).
    fixed: Mapping[str, Any]
    #: Each parameter's conversion to the driver's type, where it has one.
    processors: tuple[tuple[str, Processor], ...]
    #: The RETURNING columns' conversions from the driver's type; None without RETURNING.
    results: tuple[Processor | None, ...] | None

    @classmethod
    def compile(
        cls, statement: Insert | Update, dialect: Dialect, keys: tuple[str, ...]
    ) -> DriverWrite:
        if isinstance(statement, Insert) and not statement._returning:
            statement = statement.inline()  # no primary key fetched back (PostgreSQL would)
        # An INSERT ... SELECT names its own columns and binds; given the row's keys, the
        # compiler would make them SET clauses of a data-modifying CTE inside it.
        from_select = isinstance(statement, Insert) and statement.select is not None
        compiled = statement.compile(
            dialect=dialect, column_keys=None if from_select else list(keys)
        )
        fixed = dict(compiled.construct_params(_check=False))
        for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
            default = column.default
            if column.key in keys:
                continue
            if not isinstance(default, ColumnDefault) or not default.is_scalar:
                raise ValueError(f"{column.key}: give it in every row (its default is computed)")
            fixed[column.key] = default.arg
        processors = {}
        for bind in compiled.binds.values():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[compiled.bind_names[bind]] = processor
        returning = statement.exported_columns if compiled.effective_returning else None
        sql = compiled.string
        return cls(
            sql=sql,
            parts=_values_row(sql) if isinstance(statement, Insert) and not from_select else None,
            order=None if compiled.positiontup is None else tuple(compiled.positiontup),
            fixed=fixed,
            processors=tuple(processors.items()),
            results=None if returning is None else result_processors(returning, dialect),
        )

    def parameters(self, row: Mapping[str, Any]) -> Any:
        values = {**self.fixed, **row}
        for name, processor in self.processors:
            values[name] = processor(values[name])
        return values if self.order is None else tuple(values[name] for name in self.order)

    def statements(self, parameters: list[Any]) -> Iterator[tuple[str, Any]]:
        """The SQL and parameters to run for these rows' parameters: an INSERT's rows in as
        few statements as the limits allow, an UPDATE's one by one."""
        if self.parts is None or len(parameters) == 1:
            yield from ((self.sql, one) for one in parameters)
            return
        head, row, tail = self.parts
        width = len(self.order) if self.order is not None else max(1, len(parameters[0]))
        size = max(1, min(MAX_ROWS, MAX_PARAMETERS // width))
        for start in range(0, len(parameters), size):
            chunk = parameters[start : start + size]
            if self.order is not None:  # positional: the row repeated, the values in turn
                values = ", ".join([row] * len(chunk))
                yield f"{head}{values}{tail}", tuple(chain.from_iterable(chunk))
            else:  # named: each row's names numbered
                rows = ", ".join(_NAME.sub(rf"%(\1__{n})s", row) for n in range(len(chunk)))
                named = {f"{k}__{n}": v for n, one in enumerate(chunk) for k, v in one.items()}
                yield f"{head}{rows}{tail}", named

    def typed(self, row: Sequence[Any]) -> tuple[Any, ...]:
        results = cast(tuple[Processor | None, ...], self.results)
        return tuple(
            value if p is None else p(value) for value, p in zip(row, results, strict=True)
        )


#: A named parameter in PostgreSQL's SQL (psycopg's pyformat: `%(name)s`).
_NAME = re.compile(r"%\((\w+)\)s")


def _values_row(sql: str) -> tuple[str, str, str]:
    """An INSERT's SQL split around its one row of VALUES (its parentheses included)."""
    start = sql.index(" VALUES (") + len(" VALUES ")
    depth = 0
    for end in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[end], 0)
        if depth == 0:
            return sql[:start], sql[start : end + 1], sql[end + 1 :]
    raise ValueError(f"no VALUES row in {sql!r}")


@lru_cache(maxsize=64)
def driver_write(
    statement: Insert | Update, dialect: Dialect, keys: tuple[str, ...]
) -> DriverWrite:
    """`DriverWrite.compile`, once per statement, dialect and keys given."""
    return DriverWrite.compile(statement, dialect, keys)


def write_rows(
    session: Session, statement: Insert | Update, rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    """Run `statement` for each of `rows` (all giving the same keys) in the session's
    transaction, an INSERT's rows together; what it RETURNS, if it has RETURNING (of several
    rows in the order the database gives: map them by a column returned)."""
    if not rows:
        raise ValueError("no rows to write")
    session.flush()  # what an ORM execution's autoflush would have written first
    connection = session.connection()
    write = driver_write(statement, connection.dialect, tuple(rows[0]))
    cursor = cast(Any, connection.connection).cursor()
    try:
        return _run(connection.engine, connection, cursor, write, rows)
    finally:
        cursor.close()


def write_alone(db: Database, statement: Insert, row: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """PostgreSQL: `statement` for `row` as a transaction of its own, one statement in
    autocommit on a pooled connection (`Database.driver_cursor`), committed when it returns;
    what it RETURNS. For a write that needs nothing else in its transaction (a delivery and its
    job, one statement), on the request's own thread: PostgreSQL flushes concurrent commits
    together by itself, so a group commit would add its hand-over and its extra round trips
    (BEGIN, COMMIT) and save no flush."""
    if not is_postgresql(db.engine):
        raise ValueError("a statement alone in its transaction is PostgreSQL's (autocommit)")
    write = driver_write(statement, db.engine.dialect, tuple(row))
    with db.driver_cursor() as cursor:
        return _run(db.engine, None, cursor, write, [row])


def _run(
    engine: Engine,
    connection: Connection | None,
    cursor: Any,
    write: DriverWrite,
    rows: Sequence[Mapping[str, Any]],
) -> list[tuple[Any, ...]]:
    """`write` for `rows` on the driver's `cursor`, each statement told to the engine's
    listeners first, a driver error raised as SQLAlchemy's."""
    dbapi_error = engine.dialect.loaded_dbapi.Error
    returned: list[Sequence[Any]] = []
    for sql, parameters in write.statements([write.parameters(row) for row in rows]):
        engine.dispatch.before_cursor_execute(connection, cursor, sql, parameters, None, False)
        try:
            cursor.execute(sql, parameters)
        except dbapi_error as error:
            raise DBAPIError.instance(sql, parameters, error, dbapi_error) from error
        if write.results is not None:
            returned.extend(cursor.fetchall())
    return [write.typed(row) for row in returned]
