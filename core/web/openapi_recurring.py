"""The recurring invoices', billing rules' and early payers' reward routes of the OpenAPI
document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from core.web import api_schemas as schemas

ACTIONS = {
    "pause": "Pause: no invoice until resumed (periods falling meanwhile are skipped)",
    "resume": "Resume from the next period to come",
    "cancel": "Cancel: no further invoice (those issued stay as they are)",
    "stop_autopay": "Stop automatic payment: the next periods' invoices go out with their link "
    "(the saved payment method is forgotten)",
}


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.title() for word in rest)


def recurring_paths(
    json: Callable[[type[BaseModel], str], dict[str, Any]],
    ref: Callable[[type[BaseModel]], dict[str, str]],
    errors: Callable[..., dict[str, Any]],
    parameter: Callable[..., dict[str, Any]],
    common: tuple[int, ...],
) -> dict[str, Any]:
    schedule_id = parameter(
        "schedule_id", "path", {"type": "integer"}, "Recurring invoice id", required=True
    )
    one = json(schemas.RecurringOut, "The recurring invoice")
    paths: dict[str, Any] = {
        "/api/v1/recurring-invoices": {
            "post": {
                "operationId": "createRecurringInvoice",
                "summary": "Invoice a customer every week, month or year (idempotent on "
                "`reference`)",
                "description": "Each period's invoice is made on its day (in the merchant's "
                "time zone) with its link and reminders; a period is invoiced once.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref(schemas.RecurringCreate)}},
                },
                "responses": {
                    "201": json(schemas.RecurringOut, "Created"),
                    "200": json(
                        schemas.RecurringOut, "The schedule made earlier with that reference"
                    ),
                    **errors(400, 415, 422, *common),
                },
            },
            "get": {
                "operationId": "listRecurringInvoices",
                "summary": "The merchant's recurring invoices, newest first",
                "responses": {
                    "200": json(schemas.RecurringList, "Recurring invoices"),
                    **errors(*common),
                },
            },
        },
        "/api/v1/recurring-invoices/{schedule_id}": {
            "get": {
                "operationId": "getRecurringInvoice",
                "summary": "One recurring invoice",
                "parameters": [schedule_id],
                "responses": {"200": one, **errors(404, *common)},
            }
        },
        "/api/v1/recurring-invoices/{schedule_id}/content": {
            "put": {
                "operationId": "changeRecurringContent",
                "summary": "What the next periods' invoices hold (issued ones keep theirs)",
                "parameters": [schedule_id],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref(schemas.ContentIn)}},
                },
                "responses": {"200": one, **errors(400, 404, 409, 415, 422, *common)},
            }
        },
    }
    paths["/api/v1/billing-rules"] = {
        "get": {
            "operationId": "getBillingRules",
            "summary": "The merchant's billing rules, in order",
            "responses": {"200": json(schemas.BillingRulesIO, "The rules"), **errors(*common)},
        },
        "put": {
            "operationId": "putBillingRules",
            "summary": "Replace the billing rules (in order: the first matching rule wins each "
            "setting of a new invoice)",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref(schemas.BillingRulesIO)}},
            },
            "responses": {
                "200": json(schemas.BillingRulesIO, "The rules as saved"),
                **errors(400, 415, 422, *common),
            },
        },
    }
    paths["/api/v1/early-payer-reward"] = {
        "get": {
            "operationId": "getEarlyPayerReward",
            "summary": "The thank-you code offered to customers who pay early",
            "responses": {"200": json(schemas.EarlyPayerRewardIO, "The offer"), **errors(*common)},
        },
        "put": {
            "operationId": "putEarlyPayerReward",
            "summary": "Offer (or stop offering) a single-use code for the next order, made in "
            "the store the invoice came from, to customers paying in full in time",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref(schemas.EarlyPayerRewardIO)}},
            },
            "responses": {
                "200": json(schemas.EarlyPayerRewardIO, "The offer as saved"),
                **errors(400, 415, 422, *common),
            },
        },
    }
    for action, summary in ACTIONS.items():
        paths[f"/api/v1/recurring-invoices/{{schedule_id}}/{action}"] = {
            "post": {
                "operationId": _camel(action) + "RecurringInvoice",
                "summary": summary,
                "parameters": [schedule_id],
                "responses": {"200": one, **errors(404, 409, *common)},
            }
        }
    return paths
