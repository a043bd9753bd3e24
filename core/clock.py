"""Time as a dependency: logic takes a clock and never reads the system time deep inside."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The system clock, aware and in UTC."""
    return datetime.now(UTC)
