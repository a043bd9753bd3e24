"""What every use case needs: the database, the keyring, the clock and the job policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.clock import Clock, utc_now
from core.encryption import Keyring
from core.jobs import NewJob, enqueue, enqueue_many
from core.storage.database import Database
from core.storage.models import TimelineEvent


@dataclass(frozen=True)
class ServiceContext:
    db: Database
    keyring: Keyring
    clock: Clock = utc_now
    job_max_attempts: int = 8

    def enqueue(self, session: Session, job: NewJob) -> None:
        enqueue(session, job, self.clock(), self.job_max_attempts)

    def enqueue_many(self, session: Session, jobs: Sequence[NewJob]) -> None:
        enqueue_many(session, jobs, self.clock(), self.job_max_attempts)

    def record(self, session: Session, invoice_id: int, kind: str, **data: object) -> None:
        """Append to the invoice's timeline, in the caller's transaction."""
        session.add(TimelineEvent(invoice_id=invoice_id, kind=kind, at=self.clock(), data=data))
