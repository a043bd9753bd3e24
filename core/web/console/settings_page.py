"""The Settings page: every page a merchant sets once, with a line saying what it is for."""

from __future__ import annotations

from flask import Response, request
from flask_login import login_required

from core.web.console.menu import SETTINGS, entries
from core.web.console.pages import render


@login_required
def settings() -> Response:
    """Every setting page with a line saying what it is for."""
    return render("console/settings.html", pages=entries(SETTINGS, request.path))


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [("/settings", settings, ["GET"])]
