"""The console's menu: the pages a merchant opens every day, and a "Settings" section.

Twelve entries in one row wrapped to five lines on a phone. The daily pages stay in the
menu; the pages set once and rarely changed are grouped under Settings, which is a page of
its own listing them with a line each, and a second row of links while one of them is open.
An entry is current for its own address and every page under it (an invoice is in Invoices).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for

#: (endpoint, label key), in the order shown.
DAILY = (
    ("console.dashboard", "dashboard"),
    ("console.invoice_list", "invoices"),
    ("console.recurring_list", "recurring"),
    ("console.message_list", "messages"),
    ("console.bank", "bank"),
)
SETTINGS = (
    ("console.payment_methods", "payment_methods"),
    ("console.reminders", "reminders"),
    ("console.templates", "templates"),
    ("console.branding", "branding"),
    ("console.billing_rules", "billing_rules"),
    ("console.experiment_list", "experiments"),
    ("console.stores", "stores"),
)


@dataclass(frozen=True)
class Entry:
    href: str
    label: str
    #: aria-current: "page" on the page itself, "true" on a page under it, None elsewhere.
    current: str | None


def _current(href: str, path: str) -> str | None:
    if path == href:
        return "page"
    return "true" if path.startswith(href + "/") or path.startswith(href + ".") else None


def entries(items: tuple[tuple[str, str], ...], path: str) -> list[Entry]:
    return [Entry(url_for(e), label, _current(url_for(e), path)) for e, label in items]


def console_menu() -> tuple[list[Entry], list[Entry]]:
    """The main entries, and the settings row (empty unless a settings page is open)."""
    path = request.path
    settings = entries(SETTINGS, path)
    in_settings = any(entry.current for entry in settings)
    hub = url_for("console.settings")
    hub_current = "page" if path == hub else ("true" if in_settings else None)
    main = [*entries(DAILY, path), Entry(hub, "settings", hub_current)]
    return main, settings if in_settings else []
