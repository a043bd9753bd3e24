"""A test client whose payment-page views, store deliveries and API calls come after every change
committed before them has been heard (`PageVersions`, `KeptStores`, `ApiKeys`: PostgreSQL): in
production a notice arrives within moments of its commit; a test that changes an invoice, a
store, a key or a merchant's settings and views its page, delivers to it or calls the API at
once must not race it."""

import time
from typing import Any, TypeVar

from flask.testing import FlaskClient

from core.storage.kept_rows import KeptRows
from core.storage.notices import NoticeListener
from core.web.sessions import PAYMENT_PAGES

#: The paths served from what the app keeps on notices: payment pages, store deliveries, the API.
SETTLED_PATHS = (PAYMENT_PAGES, "/connectors/", "/api/")


class SettledClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any) -> Any:
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
        if isinstance(path, str) and path.startswith(SETTLED_PATHS):
            settle(self.application)
        return super().open(*args, **kwargs)


def settle(app: Any) -> None:
    """On PostgreSQL, `heard_so_far` for the app's page versions, stores and API keys (one
    listener in the app; SQLite hears nothing)."""
    kept = (
        app.extensions["paylink.page_versions"],
        app.extensions["paylink.store_host"].stores,
        app.extensions["paylink.api_keys"],
    )
    for listener in {id(k.listener): k.listener for k in kept}.values():
        if listener is not None:
            heard_so_far(listener)


def heard_so_far(listener: NoticeListener) -> None:
    """Once `listener` hears notices (started here if it was not), every one committed so far
    handed on."""
    listener.start()
    deadline = time.monotonic() + 10
    while not listener.live:
        assert time.monotonic() < deadline, "not listening to notices after 10 s"
        time.sleep(0.005)
    assert listener.caught_up(10), "notices not heard within 10 s"


Kept = TypeVar("Kept", bound=KeptRows[Any])


def listening(kept: Kept) -> Kept:
    """`kept` with its listener hearing notices, every one sent so far handed on (SQLite: as
    it is, with no listener)."""
    if kept.listener is not None:
        heard_so_far(kept.listener)
    return kept


def settled(kept: Kept) -> Kept:
    """`kept` once every notice committed so far was handed on (PostgreSQL)."""
    assert kept.listener is not None and kept.listener.caught_up(10)
    return kept
