"""`GET /api/v1/metrics/summary`: the dashboard's figures for a period, for the merchant's own
tools (the same daily figures the console reads)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify
from pydantic import BaseModel, Field

from core.kpis import Kpis
from core.services import dashboard as figures
from core.web import api_schemas as schemas
from core.web.current import services


class SummaryQuery(BaseModel):
    days: int | None = Field(default=None, ge=1, le=366)
    start: str | None = Field(default=None, max_length=10)
    end: str | None = Field(default=None, max_length=10)


def kpis_json(k: Kpis, spend: dict[str, int], cost: float | None) -> schemas.KpisOut:
    return schemas.KpisOut(
        sent=k.sent,
        viewed=k.viewed,
        payments_started=k.started,
        paid=k.paid,
        conversion=k.conversion,
        open_rate=k.open_rate,
        unpaid_rate=k.unpaid_rate,
        median_hours_to_pay=k.median_delay_hours,
        mean_hours_to_pay=k.mean_delay_hours,
        collected=k.collected,
        carts_sent=k.cart_sent,
        carts_paid=k.cart_paid,
        carts_collected=k.cart_collected,
        sms_segments=k.sms_segments,
        sms_cost_micros=k.sms_cost_micros,
        paid_after_message=dict(k.paid_after_step),
        by_channel={n: schemas.RateOut(tried=a, paid=b) for n, (a, b) in k.by_channel.items()},
        by_method={n: schemas.RateOut(tried=a, paid=b) for n, (a, b) in k.by_method.items()},
        by_store={n: schemas.RateOut(tried=a, paid=b) for n, (a, b) in k.by_store.items()},
        provider_fees=k.provider_fees,
        new_paying_customers=k.new_payers,
        acquisition_spend=spend,
        acquisition_cost=cost,
    )


def add_metrics_routes(api: Blueprint, query_args: Any) -> None:
    @api.get("/metrics/summary")
    def metrics_summary() -> Response:
        query: SummaryQuery = query_args(SummaryQuery)
        today, _, _ = figures.merchant_today(services(), g.merchant_id)
        if query.days is not None and not (query.start or query.end):
            period = figures.last_days(today, query.days)
        else:
            period = figures.chosen_period(today, None, query.start, query.end)
        board = figures.dashboard(services(), g.merchant_id, period)
        s = board.satisfaction
        body = schemas.MetricsSummary(
            start=period.start.isoformat(),
            end=period.end.isoformat(),
            currency=board.currency,
            current=kpis_json(board.current, board.spend, board.acquisition_cost),
            previous=kpis_json(
                board.previous, board.previous_spend, board.previous_acquisition_cost
            ),
            satisfaction=schemas.SatisfactionOut(
                answers=s.answers, ease=s.ease, clarity=s.clarity, nps=s.nps
            ),
        )
        return jsonify(body.model_dump(mode="json"))
