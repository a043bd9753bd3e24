"""Group commit: concurrent writes share one transaction, each is answered after its commit,
items of one kind share one call, and a failing write fails alone. On the real databases:
writes from many threads at once all land, each thread answered with its own result."""

import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from core.storage.group_commit import GroupCommit, _Work
from core.storage.models import Merchant
from tests.support.factories import unsaved_merchant


class Upper:
    """A bulk writer that notes each item in the stand-in transaction and answers it in upper
    case; an item of `failing` raises instead."""

    def __init__(self, failing=()):
        self.calls, self.failing = [], failing

    def __call__(self, session, items):
        self.calls.append(list(items))
        for item in items:
            if item in self.failing:
                raise ZeroDivisionError(item)
            session.current.append(item)
        return [item.upper() for item in items]


class Recorder:
    """A stand-in transaction: records which works ran together and whether it committed. The
    first one waits until `hold` is released, so others queue behind it: at its commit, or
    (`hold_at="lock"`) while it waits for its lock, as a SQLite writer waits for another
    process's commit."""

    def __init__(self, hold_at="commit"):
        self.batches, self.hold, self.first = [], threading.Event(), True
        self.hold_at, self.current = hold_at, None

    @contextmanager
    def transaction(self):
        self.current = []
        yield self
        if "boom" in self.current:
            raise RuntimeError("commit refused")
        self._held("commit")
        self.batches.append(self.current)

    def connection(self):
        self._held("lock")

    def _held(self, point):
        if self.first and point == self.hold_at:
            self.first = False
            self.hold.wait(5)


def until(condition):
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "the writer never got there"


def queue_behind_a_commit(recorder, group, write, names):
    """`write("a")` held in its transaction while `write(name)` for each of `names` queues; then
    all of them run to the end."""
    first = threading.Thread(target=write, args=("a",))
    first.start()
    until(lambda: not recorder.first)  # the writer holds "a" in its transaction
    others = [threading.Thread(target=write, args=(name,)) for name in names]
    for thread in others:
        thread.start()
    until(lambda: group._queue.qsize() == len(names))
    recorder.hold.set()
    for thread in [first, *others]:
        thread.join(5)


@pytest.mark.parametrize(
    ("hold_at", "batches"),
    [
        ("commit", [["a"], ["b", "c", "d", "e"]]),  # arrived during a commit: the next one
        ("lock", [["a", "b", "c", "d", "e"]]),  # arrived while it waited for its lock: its own
    ],
)
def test_writes_that_arrive_while_one_is_held_share_a_commit(hold_at, batches):
    recorder, upper = Recorder(hold_at), Upper()
    group = GroupCommit(recorder.transaction)
    results = {}

    def write(name):
        results[name] = group.run_together(upper, name)

    queue_behind_a_commit(recorder, group, write, list("bcde"))
    assert results == {"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}
    assert [sorted(batch) for batch in recorder.batches] == batches
    assert len(upper.calls) == len(batches)


def test_a_failing_write_fails_alone():
    recorder = Recorder()
    recorder.first = False
    group = GroupCommit(recorder.transaction)
    upper = Upper(failing={"divide"})
    assert group.run_together(upper, "ok") == "OK"
    with pytest.raises(RuntimeError, match="commit refused"):
        group.run_together(upper, "boom")
    with pytest.raises(ZeroDivisionError):
        group.run_together(upper, "divide")
    assert group.run_together(upper, "after") == "AFTER"


def test_concurrent_writes_on_a_real_database_all_land_each_with_its_result(database):
    results = []

    def add_merchants(session, numbers):
        for n in numbers:
            session.add(unsaved_merchant(f"M{n}"))
        return numbers

    def add(n):
        results.append(database.batched_together(add_merchants, n))

    threads = [threading.Thread(target=add, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Merchant)) == 40
    assert sorted(results) == list(range(40))


class Together:
    """A bulk writer that records the items of each call, and fails on "boom"."""

    def __init__(self):
        self.calls = []

    def __call__(self, session, items):
        self.calls.append(list(items))
        if "boom" in items:
            raise ValueError("boom")
        return [item.upper() for item in items]


def test_items_of_one_kind_share_one_call_and_other_kinds_run_beside_them():
    recorder, together, other = Recorder(), Together(), Upper()
    group = GroupCommit(recorder.transaction)
    results = {}

    def write(name):
        if name == "other":
            results[name] = group.run_together(other, name)
        else:
            results[name] = group.run_together(together, name)

    queue_behind_a_commit(recorder, group, write, ["b", "c", "other", "d"])
    assert results == {"a": "A", "b": "B", "c": "C", "d": "D", "other": "OTHER"}
    assert together.calls[0] == ["a"] and sorted(together.calls[1]) == ["b", "c", "d"]
    assert other.calls == [["other"]] and recorder.batches[1] == ["other"]


def test_a_failing_item_of_a_shared_call_fails_alone():
    recorder, together = Recorder(), Together()
    recorder.first = False
    group = GroupCommit(recorder.transaction)
    works = [_Work(together, name) for name in ["x", "boom", "y"]]
    group._commit(works)
    assert [work.result for work in works] == ["X", None, "Y"]
    assert isinstance(works[1].error, ValueError)
    assert works[0].error is None and works[2].error is None
    assert all(work.done.is_set() for work in works)
    assert together.calls == [["x", "boom", "y"], ["x"], ["boom"], ["y"]]
