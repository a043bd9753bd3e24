"""Values kept on notices (`KeptRows`, PostgreSQL): a notice drops exactly the values it tags,
"all" drops every one, and a value let go of for room leaves nothing behind (a long-running
process's index of tags does not grow)."""

import pytest
from sqlalchemy import text

from core.storage.kept_rows import KeptRows
from tests.support.settled_client import heard_so_far

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
CHANNEL = "paylink_test_kept_rows"


def _tags(key, value: str) -> tuple[str, ...]:
    return f"k:{key}", f"g:{value}"


@pytest.fixture
def kept(database) -> KeptRows[str]:
    rows: KeptRows[str] = KeptRows(database, (CHANNEL,), 3, _tags)
    assert rows.listener is not None
    heard_so_far(rows.listener)
    return rows


def keep(kept: KeptRows[str], key: str, value: str) -> None:
    _, ticket = kept.get(key)
    kept.keep(key, value, ticket)


def notify(database, payload: str, channel: str = CHANNEL) -> None:
    with database.engine.connect() as connection:
        connection.execute(text("SELECT pg_notify(:c, :p)"), {"c": channel, "p": payload})
        connection.commit()


def kept_now(kept: KeptRows[str], *keys: str) -> dict[str, str | None]:
    assert kept.listener is not None and kept.listener.caught_up(10)
    return {key: kept.get(key)[0] for key in keys}


def test_a_notice_drops_the_values_it_tags(kept, database):
    for key, group in (("a", "red"), ("b", "red"), ("c", "blue")):
        keep(kept, key, group)
    notify(database, "g:red")
    assert kept_now(kept, "a", "b", "c") == {"a": None, "b": None, "c": "blue"}
    notify(database, "k:c")
    assert kept_now(kept, "c") == {"c": None}


def test_all_drops_every_value(kept, database):
    keep(kept, "a", "red")
    keep(kept, "b", "blue")
    notify(database, "all")
    assert kept_now(kept, "a", "b") == {"a": None, "b": None}


def test_a_value_let_go_for_room_leaves_no_tag(kept):
    for n in range(10):
        keep(kept, f"key{n}", f"group{n}")
    assert kept_now(kept, "key9", "key0") == {"key9": "group9", "key0": None}
    assert sorted(kept._tagged) == sorted(
        tag for n in (7, 8, 9) for tag in _tags(f"key{n}", f"group{n}")
    )


def test_channels_subscribed_before_listening_share_one_connection(database, kept):
    """`kept` started its listener: a channel subscribed now gets a listener of its own (on
    the started one it would go unheard); two subscribed together share theirs."""
    later: KeptRows[str] = KeptRows(database, ("paylink_test_later",), 3, _tags)
    together: KeptRows[str] = KeptRows(database, ("paylink_test_together",), 3, _tags)
    assert later.listener is together.listener is not kept.listener
    assert later.listener is not None
    heard_so_far(later.listener)
    for rows, channel in ((later, "paylink_test_later"), (together, "paylink_test_together")):
        keep(rows, "a", "red")
        notify(database, "k:a", channel)
        assert kept_now(rows, "a") == {"a": None}, channel


def test_values_kept_on_several_channels_are_dropped_by_a_notice_on_any(database):
    """An API key kept with its merchant's row hears the keys' channel and the merchants'."""
    both: KeptRows[str] = KeptRows(database, ("paylink_test_one", "paylink_test_two"), 3, _tags)
    assert both.listener is not None
    heard_so_far(both.listener)
    for channel in ("paylink_test_one", "paylink_test_two"):
        keep(both, "a", "red")
        keep(both, "b", "blue")
        notify(database, "g:red", channel)
        assert kept_now(both, "a", "b") == {"a": None, "b": "blue"}, channel
