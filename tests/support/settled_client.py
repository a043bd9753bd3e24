"""A test client whose payment-page views come after every page change committed before them
has been heard (`PageVersions`, PostgreSQL): in production a notice arrives within moments of
its commit; a test that changes an invoice and views its page at once must not race it."""

import time
from typing import Any

from flask.testing import FlaskClient

from core.storage.notices import NoticeListener
from core.web.sessions import PAYMENT_PAGES


class SettledClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any) -> Any:
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
        if isinstance(path, str) and path.startswith(PAYMENT_PAGES):
            settle_pages(self.application)
        return super().open(*args, **kwargs)


def settle_pages(app: Any) -> None:
    """On PostgreSQL, `heard_so_far` for the app's page versions (SQLite hears nothing)."""
    listener = app.extensions["paylink.page_versions"].listener
    if listener is not None:
        heard_so_far(listener)


def heard_so_far(listener: NoticeListener) -> None:
    """Once `listener` hears notices (started here if it was not), every one committed so far
    handed on."""
    listener.start()
    deadline = time.monotonic() + 10
    while not listener.live:
        assert time.monotonic() < deadline, "not listening to page notices after 10 s"
        time.sleep(0.005)
    assert listener.caught_up(10), "page notices not heard within 10 s"
