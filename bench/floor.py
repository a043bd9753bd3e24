"""The floors the HTTP benchmarks compare against, on the engine and settings Paylink uses
(SQLite WAL with synchronous=FULL, or the same PostgreSQL): for a write, one row INSERTed in its
own transaction, in a table of its own (what an endpoint cannot go below when it must keep a
request on disk before it answers); for a page, one indexed read of the row it shows."""

from __future__ import annotations

import contextlib
import os

from sqlalchemy import Column, Integer, MetaData, String, Table, Text
from sqlalchemy.exc import DBAPIError

from core.settings import Settings
from core.storage.database import Database


def environment_database() -> Database:
    """The database the environment names, as Paylink opens it."""
    return Database(Settings.from_env(dict(os.environ)).database_url)


class DurableInsert:
    def __init__(self, name: str) -> None:
        """The `name` table (a unique key and a body) in the database the environment names."""
        self.db = environment_database()
        self.table = Table(
            name,
            MetaData(),
            Column("id", Integer, primary_key=True),
            Column("key", String(255), unique=True),
            Column("body", Text),
        )
        with contextlib.suppress(DBAPIError):  # the other gunicorn worker made it meanwhile
            self.table.create(self.db.engine, checkfirst=True)

    def keep(self, key: str, body: bytes) -> None:
        """One row, committed (durable) before returning."""
        with self.db.transaction() as session:
            session.execute(self.table.insert().values(key=key, body=body.decode()))
