"""What every use case needs: the database, the keyring, the clock and the job policy."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from core.clock import Clock, utc_now
from core.encryption import Keyring
from core.jobs import NewJob, enqueue_many
from core.storage.database import Database
from core.storage.driver_write import write_rows
from core.storage.models import TimelineEvent

HELD_JOBS = "paylink.held_jobs"
#: A timeline event not yet written: its kind and its data.
PendingEvent = tuple[str, dict[str, object]]
JOBS_PER_STATEMENT = 1_000
_INSERT_EVENT = insert(cast(Table, TimelineEvent.__table__))


def timeline_event(kind: str, **data: object) -> PendingEvent:
    """An event to record once its invoice is written (with `record_together`, or in the
    statement that writes it), named where it is made as `record` names its own (the console
    has words for every kind recorded either way)."""
    return kind, data


@dataclass(frozen=True)
class ServiceContext:
    db: Database
    keyring: Keyring
    clock: Clock = utc_now
    job_max_attempts: int = 8

    def enqueue(self, session: Session, job: NewJob) -> None:
        self.enqueue_many(session, [job])

    def enqueue_many(self, session: Session, jobs: Sequence[NewJob]) -> None:
        held = session.info.get(HELD_JOBS)
        if held is not None:
            held.extend(jobs)
            return
        enqueue_many(session, jobs, self.clock(), self.job_max_attempts)

    def enqueue_each_interval(
        self,
        session: Session,
        kind: str,
        targets: Sequence[tuple[str, dict[str, object], int]],
        interval_seconds: int,
    ) -> None:
        """One `kind` job per target (its key name, payload and merchant) and per interval:
        keyed by the interval's number, so several workers scheduling at once add each once."""
        now = self.clock()
        slot = int(now.timestamp()) // max(interval_seconds, 1)
        self.enqueue_many(
            session,
            [
                NewJob(kind, payload, f"{name}:{slot}", now, merchant)
                for name, payload, merchant in targets
            ],
        )

    @contextmanager
    def jobs_together(self, session: Session) -> Iterator[None]:
        """Jobs enqueued inside the block are written together at its end, in one statement:
        a bank statement paying thousands of invoices queues their receipts at once."""
        held: list[NewJob] = []
        session.info[HELD_JOBS] = held
        try:
            yield
        finally:
            del session.info[HELD_JOBS]
        for start in range(0, len(held), JOBS_PER_STATEMENT):
            enqueue_many(
                session,
                held[start : start + JOBS_PER_STATEMENT],
                self.clock(),
                self.job_max_attempts,
            )

    def record(self, session: Session, invoice_id: int, kind: str, **data: object) -> None:
        """Append to the invoice's timeline, in the caller's transaction."""
        session.add(TimelineEvent(invoice_id=invoice_id, kind=kind, at=self.clock(), data=data))

    def record_together(
        self, session: Session, kind: str, events: Sequence[tuple[int, dict[str, object]]]
    ) -> None:
        """The same event for several invoices (each id with its data), written at once by one
        prebuilt INSERT rather than by the session's next flush: a hot path that writes
        nothing else through the ORM (creating invoices) is spared the unit of work (~0.3 ms
        a row). Where a transaction records events one by one, `record` lets the flush write
        them together."""
        if events:
            at = self.clock()
            rows = [{"invoice_id": i, "kind": kind, "at": at, "data": data} for i, data in events]
            write_rows(session, _INSERT_EVENT, rows)
