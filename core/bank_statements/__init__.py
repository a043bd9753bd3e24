"""Reading bank statements: ISO 20022 camt files, or CSV exports through a profile.

Both readers stream: they yield each statement's header and then its lines one by one, and
never hold a whole file in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from core.bank_statements.camt import read_camt
from core.bank_statements.csv_statement import PRESETS, CsvProfile, read_csv
from core.bank_statements.errors import StatementError
from core.reconcile import StatementHeader, StatementLine

__all__ = ["PRESETS", "CsvProfile", "StatementError", "read_statement"]


def read_statement(
    source: BinaryIO, csv_profile: CsvProfile | None = None
) -> Iterator[StatementHeader | StatementLine]:
    """A camt file is recognised by its content; anything else is read as CSV, which needs
    the profile of the bank that wrote it."""
    start = source.read(512)
    source.seek(0)
    if start.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return read_camt(source)
    if csv_profile is None:
        raise StatementError(
            "this is not a camt (XML) statement; a CSV export needs the profile of its bank",
            key="statement_not_camt",
        )
    return read_csv(source, csv_profile)
