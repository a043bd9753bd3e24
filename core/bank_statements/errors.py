"""The one error a statement that cannot be read raises, with the reason and, for XML, where."""

from __future__ import annotations

from core.errors import ValidationError


class StatementError(ValidationError):
    """A bank statement file that cannot be imported as it is (nothing of it is stored)."""

    code = "invalid_statement"
