"""The money routes of the OpenAPI document: bank statements and lines (reconciliation), CSV
layouts, and the results summary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from core.web import api_schemas as schemas

LINE_STATES = ["matched", "unmatched", "ignored", "debit", "reversal", "reversed", "payout"]


def money_paths(
    json: Callable[[type[BaseModel], str], dict[str, Any]],
    ref: Callable[[type[BaseModel]], dict[str, str]],
    errors: Callable[..., dict[str, Any]],
    parameter: Callable[..., dict[str, Any]],
    common: tuple[int, ...],
) -> dict[str, Any]:
    line_id = parameter("line_id", "path", {"type": "integer"}, "Bank line id", required=True)
    one_line = json(schemas.BankLineOut, "The line as decided")
    return {
        "/api/v1/bank-statements": {
            "post": {
                "operationId": "importBankStatement",
                "summary": "Import a bank statement: camt.053/054 (any version) or a CSV export",
                "description": "The raw file is the body. Credits whose reference (RF, or the "
                "invoice number in the text) names an invoice pay it at once; the others wait in "
                "the exceptions queue (`GET /api/v1/bank-lines`). A file is imported whole or "
                "not at all, and importing it again (or an overlapping one) adds nothing.",
                "parameters": [
                    parameter(
                        "csv_profile",
                        "query",
                        {"type": "string"},
                        "For a CSV export: a preset (credit-mutuel, boursorama, "
                        "la-banque-postale, iso) or a layout saved with PUT /bank-csv-profiles",
                    )
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        media: {"schema": {"type": "string", "format": "binary"}}
                        for media in ("application/xml", "text/csv", "application/octet-stream")
                    },
                },
                "responses": {
                    "201": json(schemas.BankImportOut, "What the file did"),
                    **errors(413, 422, *common),
                },
            }
        },
        "/api/v1/bank-lines": {
            "get": {
                "operationId": "listBankLines",
                "summary": "Bank lines, newest first (by default the exceptions queue)",
                "parameters": [
                    parameter(
                        "state",
                        "query",
                        {"type": "string", "enum": LINE_STATES},
                        "State (default unmatched)",
                    ),
                    parameter(
                        "limit",
                        "query",
                        {"type": "integer", "minimum": 1, "maximum": 200},
                        "Page size (default 50)",
                    ),
                ],
                "responses": {
                    "200": json(schemas.BankLineList, "Bank lines"),
                    **errors(422, *common),
                },
            }
        },
        "/api/v1/bank-lines/{line_id}/match": {
            "post": {
                "operationId": "matchBankLine",
                "summary": "Pay invoices with a queued credit (one, or split over several)",
                "parameters": [line_id],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref(schemas.BankMatchIn)}},
                },
                "responses": {"200": one_line, **errors(400, 404, 409, 415, 422, *common)},
            }
        },
        "/api/v1/bank-lines/{line_id}/ignore": {
            "post": {
                "operationId": "ignoreBankLine",
                "summary": "Take a credit out of the queue without paying any invoice",
                "parameters": [line_id],
                "responses": {"200": one_line, **errors(404, 409, *common)},
            }
        },
        "/api/v1/metrics/summary": {
            "get": {
                "operationId": "getMetricsSummary",
                "summary": "The dashboard's figures for a period, and for the period before",
                "description": "Invoices are counted by the day they were sent (each day's cohort: "
                "how many were opened, started a payment, were paid, and how long after); "
                "money by the day it was received. Figures are brought up to date every 10 "
                "minutes. Without parameters: the last 30 days.",
                "parameters": [
                    parameter(
                        "days",
                        "query",
                        {"type": "integer", "minimum": 1, "maximum": 366},
                        "The last N days, today included",
                    ),
                    parameter("start", "query", {"type": "string", "format": "date"}, "First day"),
                    parameter(
                        "end", "query", {"type": "string", "format": "date"}, "Last day, included"
                    ),
                ],
                "responses": {
                    "200": json(schemas.MetricsSummary, "The figures"),
                    **errors(422, *common),
                },
            }
        },
        "/api/v1/bank-csv-profiles/{name}": {
            "put": {
                "operationId": "saveBankCsvProfile",
                "summary": "Save the CSV layout of your bank under a name",
                "parameters": [
                    parameter("name", "path", {"type": "string"}, "Layout name", required=True)
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref(schemas.CsvProfileIn)}},
                },
                "responses": {
                    "200": json(schemas.CsvProfileIn, "The saved layout"),
                    **errors(400, 415, 422, *common),
                },
            }
        },
    }
