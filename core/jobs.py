"""Durable jobs: a transactional outbox and the worker loop that drains it.

A job is inserted in the same transaction as the state change that causes it, so the effect
(SMS, store update, provider call) happens if and only if the change was committed. Workers claim
one job at a time with a lease: `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL lets any number
of workers share the table; on SQLite the single writer lock does the same for the one worker.
A running job's `run_at` is its lease end, so the job of a worker that died comes back by itself
once the lease has passed. Failures are retried with exponential backoff and jitter and end in a
dead state the merchant can see and retry. Handlers must be idempotent: a job can run again after
a crash between its effect and its completion.
"""

from __future__ import annotations

import logging
import random
import secrets
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    FromClause,
    Insert,
    String,
    Table,
    bindparam,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from core.clock import Clock, utc_now
from core.errors import AccessRevoked, Throttled, UnusablePayload
from core.storage.database import Database
from core.storage.driver_write import write_rows
from core.storage.models import CLAIMABLE, Job, JobStatus

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 10.0
RETRY_CAP_SECONDS = 6 * 3600.0
ERROR_TEXT_LIMIT = 2000
#: What the database driver raises while the server is stopped, restarting or out of reach.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError)
OUTAGE_FIRST_WAIT_SECONDS = 0.5
OUTAGE_MAX_WAIT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    lease_token: str
    due_at: datetime  # when it was due
    claimed_at: datetime

    @property
    def waited_seconds(self) -> float:
        """How long the job waited for a worker once due (never negative)."""
        return max((self.claimed_at - self.due_at).total_seconds(), 0.0)


#: Told how each job went: the job, its outcome ("done", "deferred", "retry", "failed"), and
#: how long its handler ran, in seconds.
JobObserver = Callable[["ClaimedJob", str, float], None]

Handler = Callable[[ClaimedJob], None]


class DeferJob(Exception):
    """Raised by a handler that must not act before `until` (quiet hours): the job waits,
    and the wait does not count as a failed attempt."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"deferred until {until.isoformat()}")
        self.until = until


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job to add. `key` makes it idempotent: a second job with the same key is ignored."""

    kind: str
    payload: dict[str, Any]
    key: str
    run_at: datetime
    merchant_id: int | None = None


@lru_cache(maxsize=2)
def _enqueue_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (idempotency_key) DO NOTHING, built once per dialect (building it
    per job cost more than the insert itself)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "kind": bindparam("kind"),
        "payload": bindparam("payload", type_=Job.payload.type),
        "idempotency_key": bindparam("key"),
        "merchant_id": bindparam("merchant_id"),
        "status": JobStatus.PENDING,
        "run_at": bindparam("run_at", type_=Job.run_at.type),
        "attempts": 0,
        "max_attempts": bindparam("max_attempts"),
        "created_at": bindparam("created_at", type_=Job.created_at.type),
    }
    # On the table, not the ORM class: the ORM's bulk path costs more than the insert itself.
    table = cast(Table, Job.__table__)
    return insert(table).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])


def job_per_row(rows: CTE, id_key: str) -> Insert:
    """PostgreSQL: INSERT INTO jobs ... SELECT, one pending job per row `rows` returns (the ids
    a data-modifying CTE inserted), as `enqueue_many` writes it: its payload the bound
    `job_payload` with the row's id under `id_key`, its key the bound `job_key_prefix` and the
    id, and `job_kind`, `job_merchant_id`, `job_run_at`, `job_max_attempts`, `job_created_at`
    bound (`job_binds`). A row the CTE did not insert gets no job."""
    payload = func.jsonb_build_object(id_key, rows.c.id).op("||")(
        sql_cast(bindparam("job_payload", type_=Job.payload.type), postgresql.JSONB)
    )
    table = cast(Table, Job.__table__)
    return pending_jobs_from(
        rows,
        kind=bindparam("job_kind", type_=table.c.kind.type),
        payload=payload,
        key=bindparam("job_key_prefix", type_=String) + sql_cast(rows.c.id, String),
        merchant_id=bindparam("job_merchant_id", type_=table.c.merchant_id.type),
        run_at=bindparam("job_run_at", type_=table.c.run_at.type),
        max_attempts=bindparam("job_max_attempts", type_=table.c.max_attempts.type),
        created_at=bindparam("job_created_at", type_=table.c.created_at.type),
    ).returning(table.c.id)


def pending_jobs_from(
    source: FromClause,
    *,
    kind: ColumnElement[Any],
    payload: ColumnElement[Any],
    key: ColumnElement[Any],
    merchant_id: ColumnElement[Any],
    run_at: ColumnElement[Any],
    max_attempts: ColumnElement[Any],
    created_at: ColumnElement[Any],
) -> Insert:
    """PostgreSQL: INSERT INTO jobs ... SELECT, one pending job per row of `source` (each of its
    columns an expression over it), not yet tried, as `enqueue_many` writes it."""
    table = cast(Table, Job.__table__)
    return postgresql.insert(table).from_select(
        [
            "kind",
            "payload",
            "idempotency_key",
            "merchant_id",
            "status",
            "run_at",
            "attempts",
            "max_attempts",
            "created_at",
        ],
        select(
            kind,
            sql_cast(payload, Job.payload.type),
            key,
            merchant_id,
            literal(JobStatus.PENDING, table.c.status.type),
            run_at,
            literal(0),
            max_attempts,
            created_at,
        ).select_from(source),
    )


def job_binds(
    *,
    kind: str,
    payload: dict[str, Any],
    key_prefix: str,
    run_at: datetime,
    merchant_id: int | None,
    now: datetime,
    max_attempts: int,
) -> dict[str, Any]:
    """`job_per_row`'s bound values: its jobs' kind, payload (beside the row's id), key prefix
    (the row's id follows), due time and merchant, and when they are added."""
    return {
        "job_kind": kind,
        "job_payload": payload,
        "job_key_prefix": key_prefix,
        "job_merchant_id": merchant_id,
        "job_run_at": run_at,
        "job_max_attempts": max_attempts,
        "job_created_at": now,
    }


def enqueue(session: Session, job: NewJob, now: datetime, max_attempts: int) -> None:
    """Add a job in the caller's transaction, so it exists if and only if that commits."""
    enqueue_many(session, [job], now, max_attempts)


def enqueue_many(
    session: Session, jobs: Sequence[NewJob], now: datetime, max_attempts: int
) -> None:
    """Add several jobs in one statement (the reminder sweep hands thousands at once)."""
    if not jobs:
        return
    statement = _enqueue_statement(session.get_bind().dialect.name)
    rows = [
        {
            "kind": job.kind,
            "payload": job.payload,
            "key": job.key,
            "merchant_id": job.merchant_id,
            "run_at": job.run_at,
            "max_attempts": max_attempts,
            "created_at": now,
        }
        for job in jobs
    ]
    write_rows(session, statement, rows)


def bring_forward(session: Session, key: str, at: datetime) -> None:
    """A pending job that was waiting on something now ready runs at `at` rather than at
    its next look (a receipt waiting for a discount code the store has just made)."""
    session.execute(
        update(Job)
        .where(Job.idempotency_key == key, Job.status == JobStatus.PENDING, Job.run_at > at)
        .values(run_at=at)
    )


def retry_delay(attempt: int, rng: random.Random) -> timedelta:
    """Backoff after the `attempt`-th failure: exponential, capped, with "equal jitter" (half
    fixed, half random) so that retries spread out but never come back at once."""
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** (attempt - 1))
    return timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))


# The queue's two statements, built once: a worker runs them thousands of times a minute, and
# building SQLAlchemy statements costs more than SQLite's own work. The claim takes the oldest
# due job that no other transaction holds (SKIP LOCKED; SQLite ignores it and has one writer).
_CLAIM = (
    update(Job)
    .where(
        Job.id
        == select(Job.id)
        .where(text(CLAIMABLE), Job.run_at <= bindparam("now"))
        .order_by(Job.run_at, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    .values(
        status=JobStatus.RUNNING,
        due_at=Job.run_at,  # SET reads the row as it was: the time it was due
        run_at=bindparam("lease_end"),
        attempts=Job.attempts + 1,
        lease_token=bindparam("token"),
    )
    .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts, Job.due_at)
)
_DEFER = (
    update(Job)
    .where(Job.id == bindparam("job_id"), Job.lease_token == bindparam("token"))
    .values(
        status=JobStatus.PENDING,
        run_at=bindparam("until", type_=Job.run_at.type),
        attempts=Job.attempts - 1,
        lease_token=None,
    )
)
# A finished job keeps its run_at (when it last ran) unless it is retried later.
_FINISH = (
    update(Job)
    .where(Job.id == bindparam("job_id"), Job.lease_token == bindparam("token"))
    .values(
        status=bindparam("new_status"),
        run_at=func.coalesce(bindparam("retry_at", type_=Job.run_at.type), Job.run_at),
        finished_at=bindparam("ended_at", type_=Job.finished_at.type),
        last_error=bindparam("error"),
        lease_token=None,
    )
)


class JobQueue:
    """Claims, completes and fails jobs: each method is one short transaction."""

    def __init__(self, db: Database, clock: Clock = utc_now, lease_seconds: int = 60) -> None:
        self.db = db
        self.clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self.rng = random.Random()  # noqa: S311 (jitter, not security)

    def claim(self) -> ClaimedJob | None:
        now = self.clock()
        token = secrets.token_hex(8)
        parameters = {"now": now, "lease_end": now + self.lease, "token": token}
        with self.db.engine.begin() as connection:
            row = connection.execute(_CLAIM, parameters).first()
        if row is None:
            return None
        return ClaimedJob(
            row.id, row.kind, row.payload, row.attempts, row.max_attempts, token, row.due_at, now
        )

    def _finish(self, job: ClaimedJob, status: JobStatus, **values: Any) -> bool:
        """Record the outcome only if this claim still holds the lease (it may have expired and
        been taken by another worker, whose outcome then wins)."""
        parameters = {
            "job_id": job.id,
            "token": job.lease_token,
            "new_status": status.value,
            "retry_at": values.get("run_at"),
            "ended_at": values.get("finished_at"),
            "error": values.get("last_error"),
        }
        with self.db.engine.begin() as connection:
            held = connection.execute(_FINISH, parameters).rowcount == 1
        if not held:
            log.warning("job %s (%s): lease lost before it finished", job.id, job.kind)
        return held

    def defer(self, job: ClaimedJob, until: datetime) -> bool:
        parameters = {"job_id": job.id, "token": job.lease_token, "until": until}
        with self.db.engine.begin() as connection:
            return connection.execute(_DEFER, parameters).rowcount == 1

    def complete(self, job: ClaimedJob) -> bool:
        return self._finish(job, JobStatus.DONE, finished_at=self.clock())

    def fail(
        self, job: ClaimedJob, error: str, permanent: bool = False, at_least: float = 0.0
    ) -> bool:
        error = error[:ERROR_TEXT_LIMIT]
        now = self.clock()
        if permanent or job.attempt >= job.max_attempts:
            return self._finish(job, JobStatus.DEAD, finished_at=now, last_error=error)
        delay = max(retry_delay(job.attempt, self.rng), timedelta(seconds=at_least))
        return self._finish(job, JobStatus.PENDING, run_at=now + delay, last_error=error)


def retry_dead_job(job: Job, now: datetime) -> None:
    """Give a dead job a fresh set of attempts, now (the merchant fixed the cause)."""
    job.status = JobStatus.PENDING
    job.run_at = now
    job.attempts = 0
    job.finished_at = None


@dataclass
class _Periodic:
    """A task the worker runs every `interval` seconds between jobs (`due`: monotonic)."""

    interval: float
    task: Callable[[], object]
    due: float = 0.0


class DatabaseOutage:
    """How a worker lives through the database going away: it waits with backoff (jitter
    included, so a fleet of workers does not reconnect in step), logs once when the outage
    starts and once when it ends, and never exits for it."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.wait = OUTAGE_FIRST_WAIT_SECONDS

    def failed(self, error: Exception) -> float:
        """Seconds to wait before trying again."""
        if self.started is None:
            self.started = time.monotonic()
            log.error(
                "database unavailable (%s); waiting for it to come back", error_summary(error)
            )
        wait, self.wait = self.wait, min(self.wait * 2, OUTAGE_MAX_WAIT_SECONDS)
        return wait * random.uniform(0.75, 1.25)  # noqa: S311 (jitter, not security)

    def recovered(self) -> None:
        if self.started is not None:
            log.warning("database back after %.1f s; resuming", time.monotonic() - self.started)
        self.started, self.wait = None, OUTAGE_FIRST_WAIT_SECONDS


def error_summary(error: Exception) -> str:
    """The first line of what the driver said (SQLAlchemy wraps it in `orig`)."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class Worker:
    """Runs jobs until stopped. SIGTERM lets the current job finish, then the loop exits."""

    def __init__(
        self,
        queue: JobQueue,
        handlers: Mapping[str, Handler],
        poll_seconds: float = 1.0,
        periodic: Sequence[tuple[float, Callable[[], object]]] = (),
        observe: JobObserver | None = None,
    ) -> None:
        self.queue = queue
        self.handlers = dict(handlers)
        self.observe = observe
        self.poll_seconds = poll_seconds
        self._stopping = threading.Event()
        self._periodic = [_Periodic(interval, task) for interval, task in periodic]
        # A job that ran while its outcome could not be written (the database went away just
        # then): written first when the database is back, so the job is not run twice.
        self._unwritten_outcome: Callable[[], object] | None = None

    def stop(self, *_signal_args: object) -> None:
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run_once(self) -> bool:
        """Claim and run one job; False when none was due."""
        if self._unwritten_outcome is not None:
            self._unwritten_outcome()
            self._unwritten_outcome = None
        job = self.queue.claim()
        if job is None:
            return False
        if job.attempt > job.max_attempts:
            # Its last attempt's worker died mid-job: stop here rather than loop forever.
            self.queue.fail(job, "the worker running the last attempt stopped", permanent=True)
            return True
        handler = self.handlers.get(job.kind)
        if handler is None:
            self.queue.fail(job, f"no handler for job kind {job.kind!r}", permanent=True)
            return True
        started = time.perf_counter()
        try:
            outcome, self._unwritten_outcome = self._run_handler(handler, job)
        except DATABASE_UNAVAILABLE:
            # Not the job's fault: it runs again once the database is back, no attempt spent.
            self._unwritten_outcome = lambda: self.queue.defer(job, self.queue.clock())
            raise
        if self.observe is not None:
            self.observe(job, outcome, time.perf_counter() - started)
        self._unwritten_outcome()
        self._unwritten_outcome = None
        return True

    def _run_handler(self, handler: Handler, job: ClaimedJob) -> tuple[str, Callable[[], object]]:
        """Run the job; return its outcome and how to write it (complete, defer, or fail)."""
        last = job.attempt >= job.max_attempts
        try:
            handler(job)
        except DeferJob as deferral:
            until = deferral.until  # `deferral` is unbound once the except block ends
            return "deferred", lambda: self.queue.defer(job, until)
        except (UnusablePayload, AccessRevoked) as error:  # retrying cannot help
            reason = f"{type(error).__name__}: {error}"
            return "failed", lambda: self.queue.fail(job, reason, permanent=True)
        except Throttled as error:
            reason, seconds = f"{type(error).__name__}: {error}", error.seconds
            return "failed" if last else "retry", lambda: self.queue.fail(
                job, reason, at_least=seconds
            )
        except DATABASE_UNAVAILABLE:
            raise
        except Exception as error:
            log.warning(
                "job %s (%s) attempt %s failed", job.id, job.kind, job.attempt, exc_info=True
            )
            reason = f"{type(error).__name__}: {error}"
            return "failed" if last else "retry", lambda: self.queue.fail(job, reason)
        return "done", lambda: self.queue.complete(job)

    def run_periodic(self) -> None:
        """Run the periodic tasks that are due (a task that fails is logged and tried again at
        its next interval; it never stops the worker)."""
        for periodic in self._periodic:
            if time.monotonic() < periodic.due:
                continue
            periodic.due = time.monotonic() + periodic.interval
            try:
                periodic.task()
            except DATABASE_UNAVAILABLE:
                raise  # the worker's outage handling waits for the database
            except Exception:
                log.exception("periodic task %r failed", periodic.task)

    def run(self, until_idle: bool = False) -> None:
        """Loop until stop() (or, with `until_idle`, until no job is due). The database going
        away is waited out, never a reason to exit."""
        outage = DatabaseOutage()
        while not self.stopping:
            try:
                self.run_periodic()
                worked = self.run_once()
            except DATABASE_UNAVAILABLE as error:
                self._stopping.wait(outage.failed(error))
                continue
            outage.recovered()
            if worked:
                continue
            if until_idle:
                return
            self._stopping.wait(self.poll_seconds)
