import random
import threading
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.errors import AccessRevoked, Throttled
from core.jobs import (
    RETRY_CAP_SECONDS,
    DeferJob,
    JobQueue,
    NewJob,
    Worker,
    enqueue,
    retry_delay,
)
from core.storage.models import Job, JobStatus


def add(database, clock, key="k1", kind="test.noop", run_in=0, max_attempts=3, payload=None):
    with database.transaction() as session:
        enqueue(
            session,
            NewJob(kind, payload or {}, key, clock() + timedelta(seconds=run_in)),
            clock(),
            max_attempts,
        )


def job(database, key="k1") -> Job:
    with database.transaction() as session:
        return session.scalars(select(Job).where(Job.idempotency_key == key)).one()


def test_same_key_twice_is_one_job(database, clock):
    add(database, clock)
    add(database, clock)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 1


def test_a_job_enqueued_in_a_rolled_back_transaction_does_not_exist(database, clock):
    try:
        with database.transaction() as session:
            enqueue(session, NewJob("test.noop", {}, "k1", clock()), clock(), 3)
            raise RuntimeError("the state change failed")
    except RuntimeError:
        pass
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_runs_due_jobs_only_and_completes_them(database, clock):
    seen = []
    add(database, clock, "now", payload={"n": 1})
    add(database, clock, "later", run_in=60)
    worker = Worker(JobQueue(database, clock), {"test.noop": lambda j: seen.append(j.payload)})
    worker.run(until_idle=True)
    assert seen == [{"n": 1}]
    assert job(database, "now").status == JobStatus.DONE
    assert job(database, "later").status == JobStatus.PENDING
    clock.advance(seconds=60)
    worker.run(until_idle=True)
    assert job(database, "later").status == JobStatus.DONE


def test_failures_back_off_then_go_dead_with_the_error(database, clock):
    add(database, clock, max_attempts=3)

    def broken(_job):
        raise ConnectionError("SMS gateway unreachable")

    worker = Worker(JobQueue(database, clock), {"test.noop": broken})
    for attempt in (1, 2):
        assert worker.run_once()
        failed = job(database)
        assert (failed.status, failed.attempts) == (JobStatus.PENDING, attempt)
        assert "SMS gateway unreachable" in failed.last_error
        assert failed.run_at > clock()
        assert not worker.run_once()  # not due yet: backing off
        clock.now = failed.run_at
    assert worker.run_once()
    dead = job(database)
    assert (dead.status, dead.attempts) == (JobStatus.DEAD, 3)


def test_permanent_errors_and_unknown_kinds_go_dead_at_once(database, clock):
    add(database, clock, "a", kind="test.refused")
    add(database, clock, "b", kind="test.unknown")

    def refused(_job):
        raise AccessRevoked("store uninstalled the app")

    Worker(JobQueue(database, clock), {"test.refused": refused}).run(until_idle=True)
    assert job(database, "a").status == JobStatus.DEAD
    assert "uninstalled" in job(database, "a").last_error
    assert job(database, "b").status == JobStatus.DEAD
    assert "no handler" in job(database, "b").last_error


def test_a_job_whose_worker_vanished_comes_back_after_its_lease(database, clock):
    add(database, clock)
    queue = JobQueue(database, clock, lease_seconds=30)
    lost = queue.claim()
    assert lost is not None and queue.claim() is None  # leased: nobody else takes it
    clock.advance(seconds=31)
    again = queue.claim()
    assert again is not None and again.id == lost.id and again.attempt == 2
    assert not queue.complete(lost)  # the first claim lost its lease: its outcome is ignored
    assert queue.complete(again)
    assert job(database).status == JobStatus.DONE


def test_a_job_whose_last_attempt_vanished_goes_dead(database, clock):
    add(database, clock, max_attempts=1)
    queue = JobQueue(database, clock, lease_seconds=30)
    assert queue.claim() is not None
    clock.advance(seconds=31)
    Worker(queue, {"test.noop": lambda _j: None}).run(until_idle=True)
    assert job(database).status == JobStatus.DEAD


def test_stop_lets_the_current_job_finish_then_exits(database, clock):
    add(database, clock, "a")
    add(database, clock, "b")
    started, release = threading.Event(), threading.Event()

    def slow(_job):
        started.set()
        release.wait(5)

    worker = Worker(JobQueue(database, clock), {"test.noop": slow}, poll_seconds=0.05)
    thread = threading.Thread(target=worker.run)
    thread.start()
    assert started.wait(5)
    worker.stop()
    release.set()
    thread.join(5)
    assert not thread.is_alive()
    statuses = sorted([job(database, "a").status, job(database, "b").status])
    assert statuses == [JobStatus.DONE, JobStatus.PENDING]


@given(attempt=st.integers(min_value=1, max_value=40), seed=st.integers())
def test_retry_delay_grows_exponentially_with_bounded_jitter(attempt, seed):
    delay = retry_delay(attempt, random.Random(seed)).total_seconds()
    ceiling = min(RETRY_CAP_SECONDS, 10 * 2 ** (attempt - 1))
    assert ceiling / 2 <= delay <= ceiling


def test_a_deferred_job_waits_without_spending_an_attempt(database, clock):
    def wait_for_morning(claimed):
        raise DeferJob(clock() + timedelta(hours=10))

    add(database, clock, "sms", max_attempts=1)
    Worker(JobQueue(database, clock), {"test.noop": wait_for_morning}).run(until_idle=True)
    deferred = job(database, "sms")
    assert (deferred.status, deferred.attempts) == (JobStatus.PENDING, 0)
    assert deferred.run_at == clock() + timedelta(hours=10)


def test_a_service_s_wait_is_honoured_and_counts_as_an_attempt(database, clock):
    def throttled(_job):
        raise Throttled("bucket empty", 600)

    add(database, clock, "push", max_attempts=3)
    Worker(JobQueue(database, clock), {"test.noop": throttled}).run(until_idle=True)
    waiting = job(database, "push")
    assert (waiting.status, waiting.attempts) == (JobStatus.PENDING, 1)
    assert waiting.run_at >= clock() + timedelta(seconds=600)  # longer than the first backoff


def test_periodic_tasks_run_between_jobs_and_a_failing_one_never_stops_the_worker(
    database, clock, caplog
):
    runs = []

    def sweep():
        runs.append("sweep")

    def broken():
        raise RuntimeError("database away")

    worker = Worker(JobQueue(database, clock), {}, periodic=[(3600, sweep), (3600, broken)])
    worker.run(until_idle=True)
    worker.run(until_idle=True)  # not due again within the hour
    assert runs == ["sweep"]
    assert "periodic task" in caplog.text and "database away" in caplog.text


def test_the_worker_tells_how_long_each_job_waited_and_ran_and_how_it_went(database, clock):
    told = []
    add(database, clock, "waited", kind="test.ok")
    add(database, clock, "later", kind="test.defer")
    add(database, clock, "broken", kind="test.boom", max_attempts=2)
    clock.advance(seconds=30)  # all three were due 30 s ago when a worker comes

    def defer(job):
        raise DeferJob(clock() + timedelta(hours=1))

    def boom(job):
        raise RuntimeError("no")

    handlers = {"test.ok": lambda job: None, "test.defer": defer, "test.boom": boom}

    def observe(job, outcome, seconds):
        told.append((job.kind, outcome, job.waited_seconds))

    Worker(JobQueue(database, clock), handlers, observe=observe).run(until_idle=True)
    assert sorted(told) == [
        ("test.boom", "retry", 30.0),
        ("test.defer", "deferred", 30.0),
        ("test.ok", "done", 30.0),
    ]
    clock.advance(days=1)
    Worker(JobQueue(database, clock), handlers, observe=observe).run(until_idle=True)
    assert ("test.boom", "failed") in {(kind, outcome) for kind, outcome, _ in told}
