"""SQLite's write lock, taken by BEGIN IMMEDIATE: a writer of another connection (another
gunicorn process) waits for it in short tries rather than SQLite's growing sleeps, gets it the
moment it is free, and still gives up, with SQLite's own error, after the busy timeout."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from core.storage import database as database_module
from core.storage.database import Database


@pytest.fixture
def two_writers(tmp_path):
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    first, second = Database(url), Database(url)
    with first.transaction() as session:
        session.execute(text("CREATE TABLE t (n INTEGER)"))
    yield first, second
    first.dispose()
    second.dispose()


def hold_lock(db: Database, seconds: float, held: threading.Event, freed: list[float]) -> None:
    with db.transaction() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        held.set()
        time.sleep(seconds)
    freed.append(time.monotonic())  # committed: the lock is free from here


def test_a_second_writer_gets_the_lock_moments_after_it_is_freed(two_writers):
    """Freed 56 ms in, the lock falls between SQLite's own tries (53 ms, then 78 ms): its busy
    handler would leave it free for 20 ms; short tries take it within a millisecond or two."""
    first, second = two_writers
    held, freed = threading.Event(), []
    holder = threading.Thread(target=hold_lock, args=(first, 0.056, held, freed))
    holder.start()
    held.wait()
    with second.transaction() as session:
        session.execute(text("INSERT INTO t VALUES (2)"))  # its BEGIN IMMEDIATE waits
        taken = time.monotonic()
    holder.join()
    assert taken - freed[0] < 0.012
    with first.reading() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 2


def test_a_writer_gives_up_after_the_busy_timeout(two_writers, monkeypatch):
    first, second = two_writers
    monkeypatch.setattr(database_module, "SQLITE_BUSY_TIMEOUT_MS", 100)
    held = threading.Event()
    holder = threading.Thread(target=hold_lock, args=(first, 0.4, held, []))
    holder.start()
    held.wait()
    with pytest.raises(OperationalError) as refused, second.transaction() as session:
        session.execute(text("INSERT INTO t VALUES (2)"))
    holder.join()
    assert "database is locked" in str(refused.value)
    with second.transaction() as session:  # the connection is usable again, timeout restored
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 100
