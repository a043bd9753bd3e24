"""JSON columns are written and read by orjson (`core.json_text`) on both engines: the stored
text is the compact text `json.dumps` would write (non-ASCII as UTF-8), and what `json.dumps`
refuses (a moment, a dataclass) is refused, not turned into text, with nothing written."""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, Table, cast, insert, select
from sqlalchemy import Text as SqlText
from sqlalchemy.exc import StatementError

from core.storage.database import Database

NOTES = Table(
    "json_notes", MetaData(), Column("id", Integer, primary_key=True), Column("data", JSON)
)


@pytest.fixture
def notes(database: Database) -> Database:
    NOTES.create(database.engine)
    return database


def test_stored_text_is_compact_json_with_its_characters(notes: Database) -> None:
    value = {"customer": "Zoé Lefèvre", "lines": [{"quantity": 2, "price": 1250}], 3: None}
    with notes.engine.begin() as connection:
        connection.execute(insert(NOTES), {"id": 1, "data": value})
    with notes.engine.connect() as connection:
        stored = connection.scalar(select(cast(NOTES.c.data, SqlText)))
        read = connection.scalar(select(NOTES.c.data))
    assert stored == '{"customer":"Zoé Lefèvre","lines":[{"quantity":2,"price":1250}],"3":null}'
    assert read == {"customer": "Zoé Lefèvre", "lines": [{"quantity": 2, "price": 1250}], "3": None}


@dataclass
class Point:
    x: int


@pytest.mark.parametrize("value", [{"at": datetime(2026, 3, 29, tzinfo=UTC)}, {"p": Point(1)}])
def test_what_json_dumps_refuses_is_refused(notes: Database, value: object) -> None:
    with pytest.raises((StatementError, TypeError)) as refused, notes.engine.begin() as connection:
        connection.execute(insert(NOTES), {"id": 1, "data": value})
    # SQLAlchemy wraps its own bind processor's error (SQLite); psycopg's dumper raises it as is.
    error = refused.value
    assert isinstance(error.orig if isinstance(error, StatementError) else error, TypeError)
    with notes.engine.connect() as connection:
        assert connection.scalar(select(NOTES.c.id)) is None
