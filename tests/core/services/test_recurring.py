"""Recurring invoices on a real schedule: one invoice per period (by a constraint, whatever
the workers), pause skips what falls meanwhile, cancel stops, a count or a date ends it, and
new lines apply to the next periods only."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest

from core.errors import Conflict, ValidationError
from core.events import CustomerDetails
from core.invoices import InvoiceContent, InvoiceLine
from core.recurrence import Frequency, Recurrence
from core.services import invoice_queries, recurring
from core.services.invoice_queries import InvoiceFilter
from core.services.recurring import ScheduleRequest
from tests.support.factories import content, eur, merchant

TODAY = date(2026, 3, 2)  # the test clock's day (09:30 UTC, 10:30 in Paris)


def request(reference="abo-1", **recurrence) -> ScheduleRequest:
    return ScheduleRequest(
        reference=reference,
        customer=CustomerDetails("Marie Curie", "marie@example.fr", "06 12 34 56 78", "fr"),
        content=content("19.90", shipping="0.00"),
        recurrence=Recurrence(**{"frequency": Frequency.MONTHLY, "start_on": TODAY, **recurrence}),
    )


def invoices_of(ctx, shop):
    page = invoice_queries.list_invoices(ctx, shop.id, InvoiceFilter(limit=100))
    return sorted(page.invoices, key=lambda invoice: invoice.id)


def test_one_invoice_per_period_however_often_and_by_however_many(ctx, clock):
    shop = merchant(ctx)
    schedule, created = recurring.create_schedule(ctx, shop.id, request(end_after=3))
    assert created and not recurring.create_schedule(ctx, shop.id, request(end_after=3))[1]
    threads = [threading.Thread(target=recurring.issue_due_invoices, args=(ctx,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(invoices_of(ctx, shop)) == 1
    clock.advance(days=31)
    assert recurring.issue_due_invoices(ctx) == 1 and recurring.issue_due_invoices(ctx) == 0
    clock.advance(days=31)
    recurring.issue_due_invoices(ctx)
    made = invoices_of(ctx, shop)
    assert [invoice.total for invoice in made] == [1990, 1990, 1990]
    assert [invoice.number for invoice in made] == [f"F-2026-00000{n}" for n in (1, 2, 3)]
    assert [invoice.external_id for invoice in made] == [
        f"recurring:{schedule.id}:{n}" for n in range(3)
    ]
    over = recurring.schedule_of(ctx, shop.id, schedule.id)
    assert (over.status, over.issued, over.next_on) == ("ended", 3, None)
    clock.advance(days=62)
    assert recurring.issue_due_invoices(ctx) == 0


def test_a_pause_skips_the_periods_that_fall_meanwhile(ctx, clock):
    shop = merchant(ctx)
    schedule, _ = recurring.create_schedule(ctx, shop.id, request(frequency=Frequency.WEEKLY))
    recurring.issue_due_invoices(ctx)
    recurring.pause(ctx, shop.id, schedule.id)
    clock.advance(days=22)  # three weekly periods fall while paused
    assert recurring.issue_due_invoices(ctx) == 0
    resumed = recurring.resume(ctx, shop.id, schedule.id)
    assert resumed.next_on == TODAY + timedelta(days=28)
    clock.advance(days=6)
    assert recurring.issue_due_invoices(ctx) == 1
    with pytest.raises(Conflict):
        recurring.resume(ctx, shop.id, schedule.id)


def test_cancel_stops_and_new_lines_apply_to_the_next_periods(ctx, clock):
    shop = merchant(ctx)
    schedule, _ = recurring.create_schedule(ctx, shop.id, request())
    recurring.issue_due_invoices(ctx)
    bigger = InvoiceContent(
        "EUR", (InvoiceLine("Abonnement premium", 1, eur("29.90"), eur("4.98")),),
        eur("0.00"), eur("0.00"),
    )  # fmt: skip
    recurring.change_content(ctx, shop.id, schedule.id, bigger)
    clock.advance(days=31)
    recurring.issue_due_invoices(ctx)
    assert [invoice.total for invoice in invoices_of(ctx, shop)] == [1990, 2990]
    recurring.cancel(ctx, shop.id, schedule.id)
    clock.advance(days=62)
    assert recurring.issue_due_invoices(ctx) == 0
    with pytest.raises(Conflict):
        recurring.cancel(ctx, shop.id, schedule.id)


def test_schedules_are_checked_and_kept_to_their_merchant(ctx):
    shop, other = merchant(ctx), merchant(ctx, "Autre")
    with pytest.raises(ValidationError):
        recurring.create_schedule(ctx, shop.id, request(start_on=TODAY - timedelta(days=1)))
    schedule, _ = recurring.create_schedule(ctx, shop.id, request())
    for action in (recurring.pause, recurring.cancel):
        with pytest.raises(Exception, match="no recurring invoice"):
            action(ctx, other.id, schedule.id)
