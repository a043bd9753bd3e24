"""The console's home: a period's results against the period before, from the daily figures
the worker keeps, the customers' satisfaction, and what acquiring the new payers cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.errors import NotFound, ValidationError
from core.kpis import DayFigures, Kpis, Period, acquisition_cost, kpis, spend_in
from core.satisfaction import SatisfactionSummary
from core.services.acquisition import spend_entries
from core.services.context import ServiceContext
from core.services.daily_figures import stored_days
from core.services.survey import Comment, satisfaction
from core.storage.models import Merchant, Store

#: The periods the dashboard offers, in days; a custom one is at most two years.
PRESETS = (7, 30, 90)
LONGEST_DAYS = 731


@dataclass(frozen=True, slots=True)
class Dashboard:
    period: Period
    currency: str
    current: Kpis
    previous: Kpis
    days: list[DayFigures]
    satisfaction: SatisfactionSummary
    comments: list[Comment]
    spend: dict[str, int]  # acquisition spend per channel falling in the period
    previous_spend: dict[str, int]
    stores: dict[str, str]  # the merchant's stores by id (as `Kpis.by_store` keys them): domain

    @property
    def acquisition_cost(self) -> float | None:
        return acquisition_cost(sum(self.spend.values()), self.current.new_payers)

    @property
    def previous_acquisition_cost(self) -> float | None:
        return acquisition_cost(sum(self.previous_spend.values()), self.previous.new_payers)


def merchant_today(ctx: ServiceContext, merchant_id: int) -> tuple[date, ZoneInfo, str]:
    with ctx.db.reading() as session:
        merchant = session.get(Merchant, merchant_id)
        if merchant is None:
            raise NotFound(f"no merchant {merchant_id}")
        zone, currency = ZoneInfo(merchant.timezone), merchant.currency
    return ctx.clock().astimezone(zone).date(), zone, currency


def last_days(today: date, days: int) -> Period:
    return Period(today - timedelta(days=days - 1), today)


def chosen_period(
    today: date, days: str | None, start: str | None = None, end: str | None = None
) -> Period:
    """The last 7, 30 or 90 days to today, or a custom range (ISO dates), checked."""
    if start or end:
        try:
            period = Period(date.fromisoformat(start or ""), date.fromisoformat(end or ""))
        except ValueError:
            raise ValidationError(
                "a period is two dates, the first on or before the last", key="period"
            ) from None
        if period.days > LONGEST_DAYS:
            raise ValidationError("a period is at most two years", key="period_long")
        return period
    length = int(days) if days and days.isdigit() and int(days) in PRESETS else 30
    return last_days(today, length)


def dashboard(ctx: ServiceContext, merchant_id: int, period: Period) -> Dashboard:
    _, zone, currency = merchant_today(ctx, merchant_id)
    before = period.previous()
    figures = stored_days(ctx, merchant_id, before.start, period.end)
    current = [day for day in figures if day.day in period]
    since = datetime.combine(period.start, time(), tzinfo=zone).astimezone(UTC)
    until = datetime.combine(period.end + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    summary, comments = satisfaction(ctx, merchant_id, since, until)
    entries = spend_entries(ctx, merchant_id, Period(before.start, period.end))
    return Dashboard(
        period=period,
        currency=currency,
        current=kpis(current, currency),
        previous=kpis([day for day in figures if day.day in before], currency),
        days=current,
        satisfaction=summary,
        comments=comments,
        spend=spend_in(entries, period),
        previous_spend=spend_in(entries, before),
        stores=_store_names(ctx, merchant_id),
    )


def _store_names(ctx: ServiceContext, merchant_id: int) -> dict[str, str]:
    with ctx.db.reading() as session:
        rows = session.execute(
            select(Store.id, Store.domain).where(Store.merchant_id == merchant_id)
        ).all()
    return {str(row.id): row.domain for row in rows}
