"""The invoice list as CSV, with the list's filters, for a spreadsheet or an accountant.

Streamed page after page (keyset), so a year of invoices never sits in memory; a cell that a
spreadsheet would run as a formula (a customer named "=HYPERLINK(...)") is written as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, stream_with_context
from flask_login import current_user, login_required

from core.money import Money
from core.services.invoice_queries import MAX_PAGE_SIZE, list_invoices
from core.storage.models import Invoice, Merchant
from core.web.console.invoices import filter_from_request
from core.web.current import services

COLUMNS = (
    "number", "created_at", "status", "customer_name", "currency", "total", "amount_paid",
    "amount_refunded", "due_at", "paid_at", "source", "external_id",
)  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A value as a spreadsheet shows it, never as a formula it runs (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _row(invoice: Invoice, zone: ZoneInfo) -> list[str]:
    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).isoformat() if moment is not None else ""

    def major(minor: int) -> str:
        return Money(minor, invoice.currency).to_major_string()

    return [
        safe_cell(value)
        for value in (
            invoice.number,
            local(invoice.created_at),
            invoice.status.value,
            invoice.customer_name,
            invoice.currency,
            major(invoice.total),
            major(invoice.amount_paid),
            major(invoice.amount_refunded),
            local(invoice.due_at),
            local(invoice.paid_at),
            invoice.source_kind,
            invoice.external_id,
        )
    ]


@login_required
def invoices_csv() -> Response:
    merchant_id = current_user.merchant_id
    where = replace(filter_from_request(MAX_PAGE_SIZE), starting_after=None)
    with services().db.reading() as session:
        merchant = session.get(Merchant, merchant_id)
        zone = ZoneInfo(merchant.timezone if merchant else "Europe/Paris")

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        cursor = None
        while True:
            page = list_invoices(services(), merchant_id, replace(where, starting_after=cursor))
            for invoice in page.invoices:
                writer.writerow(_row(invoice, zone))
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            if not page.has_more or not page.invoices:
                return
            cursor = page.invoices[-1].id

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="paylink-invoices.csv"'
    return response


#: This area's pages, registered on the console blueprint by `create_console_blueprint`.
ROUTES = [("/invoices.csv", invoices_csv, ["GET"])]
