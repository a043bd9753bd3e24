"""PostgreSQL's notices (LISTEN/NOTIFY), heard by one thread per process on a connection of its
own: how a process learns, within moments of a commit, that rows it keeps derived data of have
changed, whichever process or tool changed them.

A cache built on notices is only right while they are heard: the listener says so (`live`),
and says when it stopped or started again (`on_reset`), so its users drop what they kept and
fall back to reading the database meanwhile. A connection that fails is replaced, after a pause;
a quiet one is checked every two seconds, and not trusted once a check is five seconds late.
One listener hears every channel subscribed before it starts (the payment pages', the stores'),
on one connection: a process holds one connection more, not one per cache.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger(__name__)

#: How long the listener waits for notices before it checks that its connection still answers.
CHECK_SECONDS = 2.0
#: How long the notices are trusted without a check that answered: a connection that hangs
#: (a network gone quiet, not closed) is not believed beyond this.
TRUSTED_SECONDS = 5.0
#: The pause before a new connection, after one failed.
RECONNECT_SECONDS = 1.0
#: Payloads of the listener's own notices (`caught_up`), never handed on.
_SYNC = "paylink-sync:"


class NoticeListener:
    """Hears the channels subscribed to on `engine`'s PostgreSQL (`Database.listen`) and hands
    each notice's payload to its channel's `on_notice` handlers (in the listener's thread).
    `on_reset` handlers are called whenever what was heard so far may have missed notices: as
    listening starts, and when the connection is lost."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._handlers: dict[str, list[tuple[Callable[[str], None], Callable[[], None]]]] = {}
        self._checked_at: float | None = None  # None: not listening
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._awaited: dict[str, threading.Event] = {}
        self._stop = threading.Event()

    @property
    def live(self) -> bool:
        """Whether every notice sent since the last `on_reset` has been or will be heard."""
        checked = self._checked_at
        return checked is not None and time.monotonic() - checked < TRUSTED_SECONDS

    def subscribe(
        self,
        channels: tuple[str, ...],
        on_notice: Callable[[str], None],
        on_reset: Callable[[], None],
    ) -> bool:
        """Hand the notices of `channels` to `on_notice` once listening; False (nothing done)
        once started: a channel added later would go unheard until a reconnection."""
        with self._lock:
            if self._thread is not None:
                return False
            for channel in channels:
                self._handlers.setdefault(channel, []).append((on_notice, on_reset))
            return True

    def start(self) -> None:
        """Listen in the background (once per process: a forked worker starts its own)."""
        if self._stop.is_set() or (self._thread is not None and self._pid == os.getpid()):
            return
        with self._lock:
            if self._thread is None or self._pid != os.getpid():
                self._checked_at = None
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="listen", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """Stop listening, within `CHECK_SECONDS` (its database is being let go of)."""
        self._stop.set()
        self._checked_at = None

    def caught_up(self, timeout: float) -> bool:
        """Whether every notice committed before this call was handed on within `timeout`
        seconds: one more is sent and waited for (notices arrive in commit order). At once
        while not listening: nothing heard is being trusted then."""
        if not self.live:
            return True
        token = f"{_SYNC}{uuid.uuid4()}"
        heard = self._awaited[token] = threading.Event()
        try:
            with self._connect() as connection:  # apart from the pool and its events
                connection.execute("SELECT pg_notify(%s, %s)", (next(iter(self._handlers)), token))
            return heard.wait(timeout)
        finally:
            self._awaited.pop(token, None)

    def _connect(self) -> Any:
        """A connection of the listener's own, in autocommit, made as the engine makes its."""
        dialect = self._engine.dialect
        cargs, cparams = dialect.create_connect_args(self._engine.url)
        connection = dialect.connect(*cargs, **cparams)
        connection.autocommit = True
        return connection

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as error:  # any failure: the connection is replaced
                if not self._stop.is_set():
                    log.warning("notices on %s interrupted: %s", ", ".join(self._handlers), error)
            self._checked_at = None
            self._reset()
            self._stop.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        connection = self._connect()
        try:
            for channel in self._handlers:
                connection.execute(f'LISTEN "{channel}"')
            # Heard from here on: what was kept before may have missed changes.
            self._reset()
            self._checked_at = time.monotonic()
            while not self._stop.is_set():
                for notice in connection.notifies(timeout=CHECK_SECONDS):
                    self._hand_on(notice.channel, notice.payload)
                connection.execute("SELECT 1")  # a connection gone bad raises here
                if not self._stop.is_set():
                    self._checked_at = time.monotonic()
        finally:
            self._checked_at = None
            connection.close()

    def _reset(self) -> None:
        for handlers in self._handlers.values():
            for _, on_reset in handlers:
                on_reset()

    def _hand_on(self, channel: str, payload: str) -> None:
        if payload.startswith(_SYNC):
            awaited = self._awaited.get(payload)
            if awaited is not None:
                awaited.set()
            return
        for on_notice, _ in self._handlers.get(channel, ()):
            on_notice(payload)
