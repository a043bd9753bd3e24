"""A clock the tests move by hand."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class TickingClock:
    """A clock that starts at a fixed instant and then moves with real time: for a live server
    whose browser, sandbox and worker need time to pass, while what it decides (quiet hours,
    dates shown) never depends on when the suite runs. Default: Monday 2 March 2026, 09:30 UTC."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start or datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
        self.origin = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.origin)

    def advance(self, **delta: float) -> None:
        """Jump ahead (a period passing while the server runs), then keep ticking."""
        self.start += timedelta(**delta)
