"""The SQL an engine runs while a block runs, so tests pin how many statements, writes and
transactions a hot path costs (and a change that adds some fails)."""

from __future__ import annotations

import re

from sqlalchemy import event

_WRITE = re.compile(
    r"\s*(INSERT|UPDATE|DELETE)\b|\s*WITH\b.*\b(INSERT INTO|DELETE FROM|UPDATE \w+ SET)\b",
    re.IGNORECASE | re.DOTALL,
)


class counted_statements:
    """The SQL an engine runs inside the block: every statement, the writes among them, and how
    many transactions began."""

    def __init__(self, engine):
        self.engine, self.statements, self.transactions = engine, [], 0

    @property
    def writes(self):
        """The statements that change rows: an INSERT, UPDATE or DELETE, or a WITH whose
        statements do (PostgreSQL's data-modifying CTEs)."""
        return [s for s in self.statements if _WRITE.match(s)]

    def _statement(self, conn, cursor, statement, *args):
        if not statement.upper().startswith(("BEGIN", "PRAGMA", "SELECT 1")):
            self.statements.append(statement)

    def _begin(self, conn):
        self.transactions += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "begin", self._begin)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "begin", self._begin)
