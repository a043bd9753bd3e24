"""The durable-write floor the HTTP benchmarks compare against: one row INSERTed in its own
transaction, on the engine and settings Paylink uses (SQLite WAL with synchronous=FULL, or the
same PostgreSQL), in a table of its own. What an endpoint cannot go below when it must keep a
request on disk before it answers."""

from __future__ import annotations

import contextlib
import os

from sqlalchemy import Column, Integer, MetaData, String, Table, Text
from sqlalchemy.exc import DBAPIError

from core.settings import Settings
from core.storage.database import Database


class DurableInsert:
    def __init__(self, name: str) -> None:
        """The `name` table (a unique key and a body) in the database the environment names."""
        self.db = Database(Settings.from_env(dict(os.environ)).database_url)
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
