"""Group commit: concurrent writes share one transaction, each is answered after its commit, and
a failing write fails alone. On the real databases: writes from many threads at once all land,
each thread answered with its own result."""

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from core.storage.group_commit import GroupCommit
from core.storage.models import Merchant


class Recorder:
    """A stand-in transaction: records which works ran together and whether it committed; the
    first one waits until `hold` is released, so others queue behind it."""

    def __init__(self):
        self.batches, self.hold, self.first = [], threading.Event(), True
        self.current = None

    @contextmanager
    def transaction(self):
        if self.first:
            self.first = False
            self.hold.wait(5)
        self.current = []
        yield self
        if "boom" in self.current:
            raise RuntimeError("commit refused")
        self.batches.append(self.current)


def test_writes_that_arrive_during_a_commit_share_the_next_one():
    recorder = Recorder()
    group = GroupCommit(recorder.transaction)
    results = {}

    def write(name):
        results[name] = group.run(lambda session: session.current.append(name) or name.upper())

    first = threading.Thread(target=write, args=("a",))
    first.start()
    while recorder.first:  # the writer holds "a" in its transaction
        pass
    others = [threading.Thread(target=write, args=(name,)) for name in "bcde"]
    for thread in others:
        thread.start()
    while group._queue.qsize() < 4:
        pass
    recorder.hold.set()
    for thread in [first, *others]:
        thread.join(5)
    assert results == {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}
    assert recorder.batches[0] == ["a"] and sorted(recorder.batches[1]) == ["b", "c", "d", "e"]


def test_a_failing_write_fails_alone():
    recorder = Recorder()
    recorder.first = False
    group = GroupCommit(recorder.transaction)
    assert group.run(lambda session: session.current.append("ok") or 1) == 1
    with pytest.raises(RuntimeError, match="commit refused"):
        group.run(lambda session: session.current.append("boom"))
    with pytest.raises(ZeroDivisionError):
        group.run(lambda session: 1 / 0)
    assert group.run(lambda session: session.current.append("after") or 2) == 2


def test_concurrent_writes_on_a_real_database_all_land_each_with_its_result(database):
    from datetime import UTC, datetime

    results = []

    def add(n):
        def work(session):
            session.add(
                Merchant(
                    name=f"M{n}",
                    currency="EUR",
                    country="FR",
                    default_locale="fr",
                    timezone="Europe/Paris",
                    brand_color="#1f6feb",
                    invoice_prefix="F",
                    payment_terms_days=7,
                    last_invoice_sequence=0,
                    created_at=datetime(2026, 3, 2, tzinfo=UTC),
                )
            )
            return n

        results.append(database.batched(work))

    threads = [threading.Thread(target=add, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Merchant)) == 40
    assert sorted(results) == list(range(40))
