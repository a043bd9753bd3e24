"""A test client whose payment-page views and store deliveries come after every change committed
before them has been heard (`PageVersions`, `KeptStores`: PostgreSQL): in production a notice
arrives within moments of its commit; a test that changes an invoice or a store and views its
page or delivers to it at once must not race it."""

import time
from typing import Any

from flask.testing import FlaskClient

from core.storage.notices import NoticeListener
from core.web.sessions import PAYMENT_PAGES

#: The paths served from what the app keeps on notices: payment pages, store deliveries.
SETTLED_PATHS = (PAYMENT_PAGES, "/connectors/")


class SettledClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any) -> Any:
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
        if isinstance(path, str) and path.startswith(SETTLED_PATHS):
            settle(self.application)
        return super().open(*args, **kwargs)


def settle(app: Any) -> None:
    """On PostgreSQL, `heard_so_far` for the app's page versions and stores (one listener in
    the app; SQLite hears nothing)."""
    kept = (app.extensions["paylink.page_versions"], app.extensions["paylink.store_host"].stores)
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
