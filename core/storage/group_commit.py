"""Group commit: the writes of concurrent requests in one process share a transaction, so one
durable commit (one fsync on SQLite with synchronous=FULL, one WAL flush on PostgreSQL) serves
many of them. Each request hands its item to a `BulkWrite` and waits; it is answered only once
the transaction holding it committed, so a 2xx still means "on disk".

No delay is added to form a batch: the writer takes what is queued once its transaction has
its connection (on SQLite, once another process's commit has released the write lock), and
while it commits, the requests that arrive meanwhile queue up for the next round. Under light
load a batch is one request, as before; under a flood of webhooks, a commit carries everything
that came during the previous one and during the wait for the lock. A batch that fails is
replayed one item at a time, so one bad write fails alone.

Items of one kind also share statements: their `BulkWrite` gets every item of its kind in the
batch at once, so a flood of deliveries or invoice creations is a few multi-row INSERTs per
commit rather than a few statements each (on PostgreSQL, round trips each).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")
I_contra = TypeVar("I_contra", contravariant=True)
R_co = TypeVar("R_co", covariant=True)
#: The most works one transaction carries.
MAX_BATCH = 128


class BulkWrite(Hashable, Protocol[I_contra, R_co]):
    """Writes many items of one kind in the caller's session, returning one result per item,
    in order. Equal (and equally hashed) writers are one kind: their items share the call."""

    def __call__(self, session: Session, items: Sequence[I_contra], /) -> Sequence[R_co]: ...


@dataclass
class _Work(Generic[T]):
    write: BulkWrite[Any, T]
    item: Any
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class GroupCommit:
    def __init__(self, transaction: Callable[[], Any]) -> None:
        """`transaction`: a context manager factory yielding a session (`Database.transaction`)."""
        self._transaction = transaction
        self._queue: queue.SimpleQueue[_Work[Any]] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._lock = threading.Lock()

    def run_together(self, write: BulkWrite[Any, T], item: Any) -> T:
        """Have `write` write `item` along with the other items of its kind in the shared
        transaction; returns its result for `item` once that transaction committed, or raises
        what writing it (or the commit) raised."""
        work: _Work[T] = _Work(write, item)
        self._start()
        self._queue.put(work)
        work.done.wait()
        if work.error is not None:
            raise work.error
        result: T = work.result
        return result

    def _start(self) -> None:
        """One writer thread per process, started by the first write (after a fork, too)."""
        if self._writer is not None and self._writer.is_alive():
            return
        with self._lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(
                    target=self._write, name="group-commit", daemon=True
                )
                self._writer.start()

    def _write(self) -> None:
        while True:
            self._commit([self._queue.get()], gather=True)

    def _gather(self, batch: list[_Work[Any]]) -> None:
        """Add to `batch` the works queued by now, up to `MAX_BATCH`."""
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                return

    def _commit(self, batch: list[_Work[Any]], gather: bool = False) -> None:
        """Write `batch` in one transaction and commit it. With `gather`, the works queued
        meanwhile join once the transaction has its connection and, on SQLite, the write lock:
        the wait for another process's commit is when most requests arrive, and they then share
        this commit instead of waiting for the next one."""
        try:
            with self._transaction() as session:
                if gather:
                    session.connection()
                    self._gather(batch)
                together: dict[BulkWrite[Any, Any], list[_Work[Any]]] = {}
                for item in batch:
                    together.setdefault(item.write, []).append(item)
                for write, works in together.items():
                    results = write(session, [work.item for work in works])
                    for work, result in zip(works, results, strict=True):
                        work.result = result
        except BaseException as error:
            if len(batch) == 1:
                batch[0].error = error
                batch[0].done.set()
            else:  # replayed one by one: each work keeps its own outcome
                for item in batch:
                    self._commit([item])
            return
        for item in batch:
            item.done.set()
