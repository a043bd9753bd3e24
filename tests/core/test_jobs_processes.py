"""Job queue guarantees across real worker processes sharing one database."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from core.jobs import NewJob, enqueue
from core.storage.database import Database
from core.storage.models import Job, JobStatus
from tests.support.worker_process import RUNS_TABLE, make_worker

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def start_worker(url: str, lease_seconds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.worker_process", url, str(lease_seconds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def scalar(database: Database, sql: str) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


@pytest.fixture
def runs_table(database: Database) -> Database:
    with database.transaction() as session:
        session.execute(text(RUNS_TABLE))
    return database


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_four_worker_processes_run_each_of_2000_jobs_exactly_once(runs_table, database_url):
    now = datetime.now(UTC)
    rows = [
        {
            "kind": "test.record",
            "payload": {"n": n},
            "idempotency_key": f"job-{n}",
            "status": JobStatus.PENDING,
            "run_at": now,
            "attempts": 0,
            "max_attempts": 3,
            "created_at": now,
        }
        for n in range(2000)
    ]
    with runs_table.transaction() as session:
        session.execute(insert(Job), rows)
    workers = [start_worker(database_url, lease_seconds=300) for _ in range(4)]
    for worker in workers:
        _, errors = worker.communicate(timeout=300)
        assert worker.returncode == 0, errors
    assert scalar(runs_table, "SELECT count(*) FROM test_job_runs") == 2000
    assert scalar(runs_table, "SELECT count(DISTINCT job_id) FROM test_job_runs") == 2000
    assert scalar(runs_table, "SELECT count(*) FROM jobs WHERE status = 'done'") == 2000
    # the work really was shared: every process ran some of it
    assert scalar(runs_table, "SELECT count(DISTINCT pid) FROM test_job_runs") == 4


def worker_in_a_job(database: Database, url: str, sleep: float, lease_seconds: int):
    """A worker process that has started (and committed the record of) a job lasting `sleep`."""
    now = datetime.now(UTC)
    with database.transaction() as session:
        enqueue(session, NewJob("test.record", {"sleep": sleep}, "slow-job", now), now, 3)
    worker = start_worker(url, lease_seconds)
    deadline = time.monotonic() + 60
    while scalar(database, "SELECT count(*) FROM test_job_runs") == 0:
        assert worker.poll() is None, worker.stderr.read()
        assert time.monotonic() < deadline, "the worker never started the job"
        time.sleep(0.05)
    return worker


def test_sigterm_lets_the_current_job_finish_then_the_worker_exits(runs_table, database_url):
    worker = worker_in_a_job(runs_table, database_url, sleep=1.5, lease_seconds=60)
    worker.send_signal(signal.SIGTERM)
    _, errors = worker.communicate(timeout=30)
    assert worker.returncode == 0, errors
    assert scalar(runs_table, "SELECT count(*) FROM jobs WHERE status = 'done'") == 1


def test_a_worker_killed_mid_job_loses_nothing(runs_table, database_url):
    victim = worker_in_a_job(runs_table, database_url, sleep=600, lease_seconds=2)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(10)
    assert scalar(runs_table, "SELECT count(*) FROM jobs WHERE status = 'running'") == 1
    survivor = make_worker(runs_table, lease_seconds=30)
    survivor.run(until_idle=True)
    assert scalar(runs_table, "SELECT count(*) FROM jobs WHERE status = 'running'") == 1  # leased
    time.sleep(2.1)
    survivor.run(until_idle=True)
    assert (
        scalar(runs_table, "SELECT count(*) FROM jobs WHERE status = 'done' AND attempts = 2") == 1
    )
    assert scalar(runs_table, "SELECT count(*) FROM test_job_runs") == 2


def test_a_worker_waits_out_a_database_outage_and_runs_every_job_once():
    """PostgreSQL stopped for a few seconds under load: the worker process stays up, logs the
    outage once, and once the server is back every job is done, each exactly once."""
    from core.storage.migrate import upgrade
    from tests.support.postgres import PostgresServer, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: CI must run the outage test")
        pytest.skip("PostgreSQL binaries not found (apt-get install postgresql)")
    server = PostgresServer(bin_dir)  # its own server: the suite's is not stopped
    server.start()
    try:
        database = Database(server.url("postgres"))
        upgrade(database.engine)
        with database.transaction() as session:
            session.execute(text(RUNS_TABLE))
        now = datetime.now(UTC)
        with database.transaction() as session:
            for n in range(300):
                enqueue(session, NewJob("test.record", {"sleep": 0.02}, f"job-{n}", now), now, 3)
        worker = start_worker(server.url("postgres"), lease_seconds=5)
        deadline = time.monotonic() + 60
        while scalar(database, "SELECT count(*) FROM test_job_runs") < 50:
            assert worker.poll() is None and time.monotonic() < deadline, worker.stderr.read()
            time.sleep(0.05)
        database.dispose()
        server.pause()
        time.sleep(4)
        assert worker.poll() is None, "the worker exited when the database went away"
        server.resume()
        _, errors = worker.communicate(timeout=180)
        assert worker.returncode == 0, errors
        assert errors.count("database unavailable") == 1, errors
        assert "database back after" in errors
        assert scalar(database, "SELECT count(*) FROM jobs WHERE status = 'done'") == 300
        assert scalar(database, "SELECT count(*) FROM test_job_runs") == 300
        assert scalar(database, "SELECT count(DISTINCT job_id) FROM test_job_runs") == 300
        database.dispose()
    finally:
        server.stop()
