"""The OpenAPI 3.1 document of REST API v1, built from the same pydantic models that validate
requests, so the schemas cannot drift; a test checks that the paths match the routes."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from core.reminders import MessageKind
from core.web import api_schemas as schemas
from core.web.openapi_money import money_paths
from core.web.openapi_recurring import recurring_paths

REF = "#/components/schemas/{model}"
COMPONENT_MODELS: list[type[BaseModel]] = [
    schemas.InvoiceCreate,
    schemas.VoidIn,
    schemas.ManualPaymentIn,
    schemas.InvoiceOut,
    schemas.InvoiceList,
    schemas.Timeline,
    schemas.PlannedMessages,
    schemas.JobOut,
    schemas.JobList,
    schemas.MessageList,
    schemas.ReminderPolicyIO,
    schemas.TemplateIn,
    schemas.TemplateOut,
    schemas.BankImportOut,
    schemas.BankLineList,
    schemas.BankMatchIn,
    schemas.CsvProfileIn,
    schemas.MetricsSummary,
    schemas.RecurringCreate,
    schemas.RecurringList,
    schemas.ContentIn,
    schemas.BillingRulesIO,
    schemas.EarlyPayerRewardIO,
    schemas.Error,
]


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "Malformed request",
        401: "Missing or invalid API key",
        404: "Not found",
        409: "Not allowed in the invoice's current status, or a conflicting reference",
        413: "Body too large",
        415: "Body is not JSON",
        422: "Invalid input, field by field",
        429: "Rate limit exceeded: `Retry-After` says in how many seconds to try again",
    }
    return {str(status): _json(schemas.Error, reasons[status]) for status in statuses}


def _parameter(
    name: str, location: str, schema: dict[str, Any], description: str, required: bool = False
) -> dict[str, Any]:
    return {
        "name": name,
        "in": location,
        "required": required,
        "schema": schema,
        "description": description,
    }


INVOICE_ID = _parameter("invoice_id", "path", {"type": "integer"}, "Invoice id", required=True)
JOB_ID = _parameter("job_id", "path", {"type": "integer"}, "Job id", required=True)
STATUSES = ["draft", "open", "partially_paid", "paid", "overdue", "expired", "void", "refunded"]
COMMON = (401, 429)
KINDS = [kind.value for kind in MessageKind]


def _paths() -> dict[str, Any]:
    one_invoice = _json(schemas.InvoiceOut, "The invoice")
    return {
        "/api/v1/invoices": {
            "post": {
                "operationId": "createInvoice",
                "summary": "Create an invoice (idempotent on `reference`)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(schemas.InvoiceCreate)}},
                },
                "responses": {
                    "201": _json(schemas.InvoiceOut, "Created"),
                    "200": _json(schemas.InvoiceOut, "Already created with this reference"),
                    **_errors(400, 409, 413, 415, 422, *COMMON),
                },
            },
            "get": {
                "operationId": "listInvoices",
                "summary": "List invoices, newest first",
                "parameters": [
                    _parameter("status", "query", {"type": "string", "enum": STATUSES}, "Status"),
                    _parameter(
                        "created_from",
                        "query",
                        {"type": "string", "format": "date-time"},
                        "Created at or after (with time zone)",
                    ),
                    _parameter(
                        "created_to",
                        "query",
                        {"type": "string", "format": "date-time"},
                        "Created before (with time zone)",
                    ),
                    _parameter("customer_email", "query", {"type": "string"}, "Customer email"),
                    _parameter(
                        "starting_after",
                        "query",
                        {"type": "integer"},
                        "Cursor: `next_starting_after` of the previous page",
                    ),
                    _parameter(
                        "limit",
                        "query",
                        {"type": "integer", "minimum": 1, "maximum": 100},
                        "Page size (default 20)",
                    ),
                ],
                "responses": {
                    "200": _json(schemas.InvoiceList, "A page of invoices"),
                    **_errors(422, *COMMON),
                },
            },
        },
        "/api/v1/invoices/{invoice_id}": {
            "get": {
                "operationId": "getInvoice",
                "summary": "Get an invoice",
                "parameters": [INVOICE_ID],
                "responses": {"200": one_invoice, **_errors(404, *COMMON)},
            }
        },
        "/api/v1/invoices/{invoice_id}/open": {
            "post": {
                "operationId": "openInvoice",
                "summary": "Finalise a draft invoice",
                "parameters": [INVOICE_ID],
                "responses": {"200": one_invoice, **_errors(404, 409, *COMMON)},
            }
        },
        "/api/v1/invoices/{invoice_id}/void": {
            "post": {
                "operationId": "voidInvoice",
                "summary": "Void an unpaid invoice",
                "parameters": [INVOICE_ID],
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": _ref(schemas.VoidIn)}},
                },
                "responses": {"200": one_invoice, **_errors(400, 404, 409, 415, 422, *COMMON)},
            }
        },
        "/api/v1/invoices/{invoice_id}/payments": {
            "post": {
                "operationId": "recordManualPayment",
                "summary": "Mark money received outside Paylink (idempotent on `reference`)",
                "parameters": [INVOICE_ID],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(schemas.ManualPaymentIn)}},
                },
                "responses": {
                    "201": _json(schemas.InvoiceOut, "Recorded"),
                    "200": _json(schemas.InvoiceOut, "Already recorded with this reference"),
                    **_errors(400, 404, 415, 422, *COMMON),
                },
            }
        },
        "/api/v1/invoices/{invoice_id}/timeline": {
            "get": {
                "operationId": "getInvoiceTimeline",
                "summary": "What happened to an invoice",
                "parameters": [INVOICE_ID],
                "responses": {
                    "200": _json(schemas.Timeline, "Events, oldest first"),
                    **_errors(404, *COMMON),
                },
            }
        },
        "/api/v1/invoices/{invoice_id}/planned-messages": {
            "get": {
                "operationId": "getPlannedMessages",
                "summary": "Messages Paylink will send for an invoice, and when",
                "description": "Soonest first: a step due now (`sending`), one held until the "
                "sending hours open (`held`, at the time it will go out), and the next reminder "
                "on the merchant's schedule (`next`).",
                "parameters": [INVOICE_ID],
                "responses": {
                    "200": _json(schemas.PlannedMessages, "Planned messages, soonest first"),
                    **_errors(404, *COMMON),
                },
            }
        },
        "/api/v1/jobs": {
            "get": {
                "operationId": "listJobs",
                "summary": "Background jobs (dead ones need attention)",
                "parameters": [
                    _parameter(
                        "status",
                        "query",
                        {"type": "string", "enum": ["pending", "running", "done", "dead"]},
                        "Status",
                    ),
                    _parameter(
                        "limit",
                        "query",
                        {"type": "integer", "minimum": 1, "maximum": 200},
                        "How many (default 50)",
                    ),
                ],
                "responses": {
                    "200": _json(schemas.JobList, "Jobs, newest first"),
                    **_errors(422, *COMMON),
                },
            }
        },
        "/api/v1/jobs/{job_id}/retry": {
            "post": {
                "operationId": "retryJob",
                "summary": "Retry a dead job",
                "parameters": [JOB_ID],
                "responses": {
                    "200": _json(schemas.JobOut, "The job, pending again"),
                    **_errors(404, 422, *COMMON),
                },
            }
        },
        **_message_paths(),
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1 document"}},
            }
        },
    }


TEMPLATE_KEY = [
    _parameter("kind", "path", {"type": "string", "enum": KINDS}, "Message kind", required=True),
    _parameter("locale", "path", {"type": "string", "enum": ["fr", "en"]}, "Locale", required=True),
    _parameter(
        "part",
        "path",
        {"type": "string", "enum": ["sms", "subject", "body"]},
        "Part",
        required=True,
    ),
]


def _message_paths() -> dict[str, Any]:
    policy = _json(schemas.ReminderPolicyIO, "The reminder policy")
    template = _json(schemas.TemplateOut, "The template, with a preview on a sample invoice")
    return {
        "/api/v1/messages": {
            "get": {
                "operationId": "listMessages",
                "summary": "Messages sent (or stored in the outbox), newest first",
                "parameters": [
                    _parameter("invoice_id", "query", {"type": "integer"}, "One invoice's"),
                    _parameter(
                        "limit",
                        "query",
                        {"type": "integer", "minimum": 1, "maximum": 200},
                        "How many",
                    ),
                ],
                "responses": {
                    "200": _json(schemas.MessageList, "Messages"),
                    **_errors(422, *COMMON),
                },
            }
        },
        "/api/v1/reminder-policy": {
            "get": {
                "operationId": "getReminderPolicy",
                "summary": "The reminder policy (the default until one is set)",
                "responses": {"200": policy, **_errors(*COMMON)},
            },
            "put": {
                "operationId": "setReminderPolicy",
                "summary": "Replace the reminder policy",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(schemas.ReminderPolicyIO)}},
                },
                "responses": {"200": policy, **_errors(400, 415, 422, *COMMON)},
            },
            "delete": {
                "operationId": "resetReminderPolicy",
                "summary": "Back to the default policy",
                "responses": {"200": policy, **_errors(*COMMON)},
            },
        },
        "/api/v1/templates/{kind}/{locale}/{part}": {
            "get": {
                "operationId": "getTemplate",
                "summary": "A message template (the merchant's, else the default)",
                "parameters": TEMPLATE_KEY,
                "responses": {"200": template, **_errors(404, *COMMON)},
            },
            "put": {
                "operationId": "setTemplate",
                "summary": "Save the merchant's own text (checked and previewed first)",
                "parameters": TEMPLATE_KEY,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref(schemas.TemplateIn)}},
                },
                "responses": {"200": template, **_errors(400, 404, 415, 422, *COMMON)},
            },
            "delete": {
                "operationId": "resetTemplate",
                "summary": "Back to the default text",
                "parameters": TEMPLATE_KEY,
                "responses": {"200": template, **_errors(404, *COMMON)},
            },
        },
    }


@lru_cache(maxsize=8)
def openapi_document(base_url: str) -> dict[str, Any]:
    _, definitions = models_json_schema(
        [
            (
                model,
                "validation"
                if model
                in (
                    schemas.InvoiceCreate,
                    schemas.VoidIn,
                    schemas.ManualPaymentIn,
                    schemas.TemplateIn,
                    schemas.BankMatchIn,
                    schemas.CsvProfileIn,
                )
                else "serialization",
            )
            for model in COMPONENT_MODELS
        ],
        ref_template=REF,
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Paylink API",
            "version": "1",
            "description": "Invoices with payment links. Amounts are integer minor units.",
        },
        "servers": [{"url": base_url}],
        "security": [{"apiKey": []}],
        "paths": {
            **_paths(),
            **money_paths(_json, _ref, _errors, _parameter, COMMON),
            **recurring_paths(_json, _ref, _errors, _parameter, COMMON),
        },
        "components": {
            "schemas": definitions["$defs"],
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key from `paylink create-api-key`",
                }
            },
        },
    }
