"""What the payment page of a link depends on, read cheaply: the version a cached rendering of
the page is checked against on every view (`core.web.page_cache`).

One Core statement outside any transaction, no ORM objects: the invoice row joined to its
merchant's, with the merchant's enabled payment accounts folded into one column. Any change that
can alter the page (status, amounts, deadlines, branding, the methods offered and their terms)
changes one of these rows; invoice lines never change once written. The merchant's invoice
and credit note counters are left out, so a merchant creating invoices (or refunding one)
does not throw away its other pages.

On PostgreSQL the versions are kept between views (`PageVersions`) while the database's
announcements of changes to these same rows are heard (migration 0031's triggers, which leave
out the same counters): a repeat view then reads nothing.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, bindparam, cast, func, select

from core.services.context import ServiceContext
from core.storage.database import Database, driver_read
from core.storage.kept_rows import KeptRows
from core.storage.models import Invoice, Merchant, PaymentAccount

_MERCHANT_COLUMNS = [
    column.label(f"merchant__{column.name}")
    for column in Merchant.__table__.c
    if column.name not in ("last_invoice_sequence", "last_credit_sequence")
]
#: The merchant's enabled payment accounts as one string: which ones, in what order, with what
#: credentials (instalment terms are among them). The order inside the aggregate may vary; a
#: different order only costs a new rendering.
_ENABLED_ACCOUNTS = (
    select(
        func.aggregate_strings(
            PaymentAccount.provider
            + ":"
            + cast(PaymentAccount.position, String)
            + ":"
            + PaymentAccount.credentials_ciphertext,
            ",",
        )
    )
    .where(PaymentAccount.merchant_id == Invoice.merchant_id, PaymentAccount.enabled.is_(True))
    .scalar_subquery()
)
#: Whether the page was opened before is asked apart: the first view is recorded (and changes
#: the row) but not the page.
_INVOICE_COLUMNS = [column for column in Invoice.__table__.c if column.name != "viewed_at"]
_PAGE_ROWS = (
    select(
        *_INVOICE_COLUMNS,
        *_MERCHANT_COLUMNS,
        _ENABLED_ACCOUNTS.label("accounts"),
        Invoice.viewed_at.is_not(None).label("viewed"),
    )
    .join_from(Invoice.__table__, Merchant.__table__, Invoice.merchant_id == Merchant.id)
    .where(Invoice.link_code == bindparam("code"))
)


@dataclass(frozen=True)
class PageVersion:
    """The rows a payment page is made of, compared whole (no hash, so no collision)."""

    rows: tuple[Any, ...]
    customer_locale: str = field(compare=False)
    viewed: bool = field(compare=False)  # opened before: nothing to record
    merchant_id: int = field(compare=False)


_NAMES = list(_PAGE_ROWS.selected_columns.keys())
_LOCALE = _NAMES.index("customer_locale")
_MERCHANT = _NAMES.index("merchant_id")


def page_version(ctx: ServiceContext, code: str) -> PageVersion | None:
    """The version of the page behind `code`, or None when no invoice has that code. Its row
    is compared, never read field by field (but for the customer's language), so it comes as
    the driver reads it: converting its seventy values cost more than the query."""
    read = driver_read(_PAGE_ROWS, ctx.db.engine.dialect, "code")
    row = ctx.db.fetch_row(read, {"code": code})
    if row is None:
        return None
    return PageVersion(row[:-1], str(row[_LOCALE]), bool(row[-1]), int(row[_MERCHANT]))


#: The channel the database announces changes to payment pages' rows on (migration 0031).
PAGE_CHANNEL = "paylink_pages"
#: The most versions one process keeps (about 1 KB each).
KEPT_VERSIONS = 20_000


def _page_tags(code: Hashable, version: PageVersion) -> tuple[str, ...]:
    """The notices of migration 0031 that concern a page: its invoice's, its merchant's."""
    return f"i:{code}", f"m:{version.merchant_id}"


class PageVersions(KeptRows[PageVersion]):
    """Page versions kept between views by link code, on PostgreSQL (`KeptRows`): a notice
    drops the invoice's version ("i:<link code>") or all its merchant's ("m:<id>"). On SQLite
    nothing is kept, as a repeat view's one read is cheap there."""

    def __init__(self, db: Database) -> None:
        super().__init__(db, (PAGE_CHANNEL,), KEPT_VERSIONS, _page_tags)
