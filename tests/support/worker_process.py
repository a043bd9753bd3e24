"""A worker process for the multi-process job tests: `python -m tests.support.worker_process
<database url> <lease seconds>`. Its handler records each run in `test_job_runs` (its own
transaction, committed before anything else happens), then, on a job's first attempt, sleeps
for the payload's `sleep` seconds, so a test can stop or kill the process mid-job."""

from __future__ import annotations

import logging
import os
import sys
import time

from sqlalchemy import text

from core.jobs import ClaimedJob, JobQueue, Worker
from core.storage.database import Database

RUNS_TABLE = (
    "CREATE TABLE test_job_runs "
    "(job_id INTEGER NOT NULL, attempt INTEGER NOT NULL, pid INTEGER NOT NULL)"
)


def record_run(database: Database, job: ClaimedJob) -> None:
    with database.transaction() as session:
        session.execute(
            text("INSERT INTO test_job_runs (job_id, attempt, pid) VALUES (:j, :a, :p)"),
            {"j": job.id, "a": job.attempt, "p": os.getpid()},
        )


def make_worker(database: Database, lease_seconds: int) -> Worker:
    def handler(job: ClaimedJob) -> None:
        record_run(database, job)
        if job.attempt == 1:
            time.sleep(job.payload.get("sleep", 0))

    return Worker(
        JobQueue(database, lease_seconds=lease_seconds), {"test.record": handler}, poll_seconds=0.05
    )


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    url, lease = sys.argv[1], int(sys.argv[2])
    db = Database(url)
    worker = make_worker(db, lease)
    worker.install_signal_handlers()
    print("ready", flush=True)
    worker.run(until_idle=True)
    db.dispose()
