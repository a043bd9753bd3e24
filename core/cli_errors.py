"""How every `paylink` command reports a mistake: one line with the reason, exit status 1."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from core.errors import PaylinkError
from core.jobs import DATABASE_UNAVAILABLE, error_summary

Command = TypeVar("Command", bound=Callable[..., Any])


def reports_errors(command: Command) -> Command:
    """Turn Paylink's own errors, and a database out of reach, into a one-line CLI message and
    exit status 1 (a worker already running waits the database out instead)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PaylinkError as error:
            raise click.ClickException(error.message) from None
        except DATABASE_UNAVAILABLE as error:
            reason = error_summary(error)
            raise click.ClickException(f"the database cannot be reached: {reason}") from None

    return wrapper  # type: ignore[return-value]
