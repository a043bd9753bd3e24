"""Job queue throughput: enqueue + claim + complete N no-op jobs, on SQLite and PostgreSQL, with 1
and 4 worker processes, against the floor a queue cannot beat on the same database: a bare loop
that inserts a row in one transaction and deletes it in another.

Both engines run durable, as in production: SQLite WAL with synchronous=FULL, PostgreSQL with
fsync on. Run: `python -m bench.jobs [--jobs 10000]`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from core.jobs import JobQueue, NewJob, Worker, enqueue
from core.storage.database import Database
from core.storage.migrate import upgrade
from tests.support.postgres import PostgresServer, find_bin_dir

FLOOR_TABLE = "CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)"


def drain(url: str) -> None:
    database = Database(url)
    Worker(JobQueue(database), {"bench.noop": lambda _job: None}).run(until_idle=True)
    database.dispose()


def floor_loop(url: str, first_id: int, count: int) -> None:
    database = Database(url)
    for row_id in range(first_id, first_id + count):
        with database.transaction() as session:
            session.execute(
                text("INSERT INTO bench_floor (id, payload) VALUES (:i, '{}')"), {"i": row_id}
            )
        with database.transaction() as session:
            session.execute(text("DELETE FROM bench_floor WHERE id = :i"), {"i": row_id})
    database.dispose()


def in_processes(target: Callable[..., None], argument_sets: list[tuple[object, ...]]) -> float:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=target, args=args) for args in argument_sets]
    started = time.perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a benchmark process failed with exit code {process.exitcode}")
    return time.perf_counter() - started


def run_case(url: str, jobs: int, workers: int) -> dict[str, float]:
    database = Database(url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    for n in range(jobs):  # one transaction per job, as a state change would enqueue it
        with database.transaction() as session:
            enqueue(session, NewJob("bench.noop", {"n": n}, f"bench-{workers}-{n}", now), now, 3)
    enqueue_seconds = time.perf_counter() - started
    with database.transaction() as session:
        session.execute(text(FLOOR_TABLE))
    database.dispose()
    drain_seconds = in_processes(drain, [(url,)] * workers)
    share = jobs // workers
    floor_seconds = in_processes(floor_loop, [(url, w * share, share) for w in range(workers)])
    return {
        "enqueue": jobs / enqueue_seconds,
        "drain": jobs / drain_seconds,
        "end_to_end": jobs / (enqueue_seconds + drain_seconds),
        "floor": share * workers / floor_seconds,
    }


def migrated(url: str) -> str:
    database = Database(url)
    upgrade(database.engine)
    database.dispose()
    return url


@contextmanager
def sqlite_databases() -> Iterator[Callable[[str], str]]:
    root = Path(tempfile.mkdtemp(prefix="paylink-bench-"))

    def make(name: str) -> str:
        return migrated(f"sqlite:///{root / name}.db")

    try:
        yield make
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def postgres_databases() -> Iterator[Callable[[str], str]]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql)")
    server = PostgresServer(bin_dir, durable=True)
    server.start()
    admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")

    def make(name: str) -> str:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        return migrated(server.url(name))

    try:
        yield make
    finally:
        admin.dispose()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000)
    args = parser.parse_args()
    print(
        f"{args.jobs} no-op jobs; rates in jobs/s; floor = bare insert+delete rows/s, same "
        "database, same number of processes"
    )
    print(
        f"{'engine':<11}{'workers':>8}{'enqueue':>10}{'drain':>10}{'end-to-end':>12}"
        f"{'floor':>10}{'drain/floor':>13}{'e2e/floor':>11}"
    )
    for engine, databases in (("sqlite", sqlite_databases), ("postgresql", postgres_databases)):
        with databases() as make_database:
            for workers in (1, 4):
                figures = run_case(make_database(f"bench_{workers}"), args.jobs, workers)
                floor = figures["floor"]
                print(
                    f"{engine:<11}{workers:>8}{figures['enqueue']:>10.0f}{figures['drain']:>10.0f}"
                    f"{figures['end_to_end']:>12.0f}{floor:>10.0f}"
                    f"{figures['drain'] / floor:>13.2f}{figures['end_to_end'] / floor:>11.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
