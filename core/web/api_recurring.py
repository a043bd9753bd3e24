"""The API's recurring invoices: create a schedule (one invoice per period, from its start
day), read them, pause, resume, cancel, and change what the next periods' invoices hold.
Every schedule is looked up within the key's merchant."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify

from core.recurrence import Frequency, Recurrence
from core.services import recurring
from core.services.recurring import ScheduleRequest
from core.storage.recurring_models import RecurringSchedule
from core.web import api_schemas as schemas
from core.web.api_bodies import business_of, customer_details, invoice_content
from core.web.current import services
from core.web.errors import json_body


def schedule_json(schedule: RecurringSchedule) -> dict[str, Any]:
    content = recurring.content_of(schedule)
    return schemas.RecurringOut(
        id=schedule.id,
        reference=schedule.reference,
        status=schedule.status,  # type: ignore[arg-type]
        frequency=schedule.frequency,  # type: ignore[arg-type]
        start_on=schedule.start_on,
        end_after=schedule.end_after,
        end_on=schedule.end_on,
        issued=schedule.issued,
        next_on=schedule.next_on,
        currency=schedule.currency,
        total=content.totals().total.minor,
        customer_name=schedule.customer_name,
        autopay=_autopay_json(schedule),
    ).model_dump(mode="json")


def _autopay_json(schedule: RecurringSchedule) -> schemas.AutopayOut | None:
    if schedule.autopay_account_id is None or schedule.autopay_since is None:
        return None
    return schemas.AutopayOut(method=schedule.autopay_label or "", since=schedule.autopay_since)


def add_recurring_routes(api: Blueprint) -> None:
    @api.post("/recurring-invoices")
    def create_recurring() -> tuple[Response, int]:
        body = json_body(schemas.RecurringCreate)
        request = ScheduleRequest(
            reference=body.reference,
            customer=customer_details(body.customer),
            content=invoice_content(body),
            recurrence=Recurrence(
                Frequency(body.frequency), body.start_on, body.end_after, body.end_on
            ),
            payment_terms_days=body.payment_terms_days,
            buyer=business_of(body.customer),
        )
        schedule, created = recurring.create_schedule(services(), g.merchant_id, request)
        return jsonify(schedule_json(schedule)), 201 if created else 200

    @api.get("/recurring-invoices")
    def list_recurring() -> Response:
        schedules = recurring.schedules_of(services(), g.merchant_id)
        return jsonify({"data": [schedule_json(s) for s in schedules]})

    @api.get("/recurring-invoices/<int:schedule_id>")
    def get_recurring(schedule_id: int) -> Response:
        return jsonify(schedule_json(recurring.schedule_of(services(), g.merchant_id, schedule_id)))

    @api.put("/recurring-invoices/<int:schedule_id>/content")
    def change_recurring_content(schedule_id: int) -> Response:
        content = invoice_content(json_body(schemas.ContentIn))
        schedule = recurring.change_content(services(), g.merchant_id, schedule_id, content)
        return jsonify(schedule_json(schedule))

    for action, change in recurring.ACTIONS.items():

        def act(schedule_id: int, change: Any = change) -> Response:
            return jsonify(schedule_json(change(services(), g.merchant_id, schedule_id)))

        api.add_url_rule(
            f"/recurring-invoices/<int:schedule_id>/{action}",
            f"{action}_recurring",
            act,
            methods=["POST"],
        )
