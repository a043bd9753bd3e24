"""The SQL an engine runs while a block runs, so tests pin how many statements, writes and
transactions a hot path costs (and a change that adds some fails)."""

from __future__ import annotations

from sqlalchemy import event


class counted_statements:
    """The SQL an engine runs inside the block: every statement, the writes among them, and how
    many transactions began."""

    def __init__(self, engine):
        self.engine, self.statements, self.transactions = engine, [], 0

    @property
    def writes(self):
        return [
            s for s in self.statements if s.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
        ]

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
