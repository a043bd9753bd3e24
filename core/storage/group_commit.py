"""Group commit: the writes of concurrent requests in one process share a transaction, so one
durable commit (one fsync on SQLite with synchronous=FULL, one WAL flush on PostgreSQL) serves
many of them. Each request hands its work and waits; it is answered only once the transaction
holding its work committed, so a 2xx still means "on disk".

No delay is added to form a batch: the writer takes whatever is queued, and while it commits,
the requests that arrive meanwhile queue up for the next round. Under light load a batch is one
request, as before; under a flood of webhooks, a commit carries everything that came during the
previous one. A batch that fails is replayed one work at a time, so one bad write fails alone.

Works of one kind may also share statements (`run_together`): a `BulkWrite` gets every item of
its kind in the batch at once, so a flood of deliveries is a few multi-row INSERTs per commit
rather than two statements each (on PostgreSQL, two round trips each).
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


class _Alone(Generic[T]):
    """A plain work as a writer of its own: equal to no other, so it is called alone."""

    def __init__(self, run: Callable[[Session], T]) -> None:
        self.run = run

    def __call__(self, session: Session, items: Sequence[None], /) -> list[T]:
        return [self.run(session)]


@dataclass
class _Work(Generic[T]):
    write: BulkWrite[Any, T]
    item: Any = None
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

    def run(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a shared transaction; returns its result once that transaction
        committed, or raises what it (or the commit) raised."""
        return self._wait(_Work(_Alone(work)))

    def run_together(self, write: BulkWrite[Any, T], item: Any) -> T:
        """Have `write` write `item` along with the other items of its kind in the shared
        transaction; returns its result for `item` once that transaction committed."""
        return self._wait(_Work(write, item))

    def _wait(self, item: _Work[T]) -> T:
        self._start()
        self._queue.put(item)
        item.done.wait()
        if item.error is not None:
            raise item.error
        result: T = item.result
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
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[_Work[Any]]) -> None:
        try:
            with self._transaction() as session:
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
