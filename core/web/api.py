"""REST API v1: invoices and jobs for merchants who integrate by hand.

Every route but the OpenAPI document needs `Authorization: Bearer <API key>`, and sees only the
key's merchant. The document at /api/v1/openapi.json describes exactly these routes (a test
checks it).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.sansio.blueprints import BlueprintSetupState
from pydantic import AwareDatetime, BaseModel, Field, TypeAdapter

from core.errors import Unauthorized, ValidationError
from core.events import InvoiceRequested, SourceKind
from core.invoices import InvoiceStatus
from core.links import payment_url
from core.money import Money
from core.services import invoice_creation, invoice_queries, invoicing, job_admin, payments
from core.services.api_keys import ApiKeys
from core.storage.models import Invoice, Job, JobStatus, Merchant
from core.web import api_schemas as schemas
from core.web.api_bank import add_bank_routes
from core.web.api_billing import add_billing_routes
from core.web.api_bodies import business_of, customer_details, invoice_content
from core.web.api_messages import add_message_routes
from core.web.api_metrics import add_metrics_routes
from core.web.api_recurring import add_recurring_routes
from core.web.current import services, settings
from core.web.errors import json_body
from core.web.openapi import openapi_document


def api_key_from_request() -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def rate_limit_key() -> str:
    """Limit per API key when a valid one is presented, per client address otherwise. Failed
    attempts therefore count against whoever makes them (their address), never against the key
    they name: knowing a key's public id is not enough to lock its merchant out, and inventing
    public ids does not escape the per-address limit."""
    merchant = _authenticated_merchant()
    presented = api_key_from_request()
    if merchant is not None and presented is not None:
        return "key:" + presented.split("_")[1]
    return "ip:" + (request.remote_addr or "unknown")


def _authenticated_merchant() -> Merchant | None:
    """The merchant of the request's API key (read with it), checked once per request (the
    rate limiter asks first, the routes after); None without a valid key."""
    if "api_merchant" not in g:
        presented = api_key_from_request()
        try:
            keys: ApiKeys = current_app.extensions["paylink.api_keys"]
            g.api_merchant = keys.authenticate(services(), presented) if presented else None
        except Unauthorized:
            g.api_merchant = None
    merchant: Merchant | None = g.api_merchant
    return merchant


# Serialisation -------------------------------------------------------------------------------


#: Why a planned message goes out when it does, for API clients (English, as the API is).
PLANNED_REASONS = {
    invoice_queries.PlannedKind.SENDING: "due now: it goes out within moments",
    invoice_queries.PlannedKind.HELD: "held until the sending hours open (quiet hours)",
    invoice_queries.PlannedKind.NEXT: "the next reminder on the merchant's schedule",
}


def invoice_json(invoice: Invoice) -> dict[str, Any]:
    ctx = services()
    customer = invoicing.customer_of(invoice, ctx)
    state = invoicing.state_of(invoice)
    base_url = settings().base_url
    return schemas.InvoiceOut(
        id=invoice.id,
        number=invoice.number,
        status=invoice.status.value,
        currency=invoice.currency,
        subtotal=invoice.subtotal,
        tax=invoice.tax,
        shipping=invoice.shipping,
        discount=invoice.discount,
        total=invoice.total,
        taxes_included=invoice.taxes_included,
        amount_paid=invoice.amount_paid,
        amount_refunded=invoice.amount_refunded,
        amount_due=state.amount_due.minor,
        customer=schemas.CustomerOut(
            name=customer.name, email=customer.email, phone=customer.phone, locale=customer.locale
        ),
        lines=[
            schemas.LineOut(
                label=line.label,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax=line.tax,
                amount=line.unit_price * line.quantity,
            )
            for line in invoice.lines
        ],
        source=schemas.SourceOut(
            kind=SourceKind(invoice.source_kind),
            store_id=invoice.store_id,
            external_id=invoice.external_id,
        ),
        payment_url=payment_url(base_url, invoice.link_code),
        due_at=invoice.due_at,
        expires_at=invoice.expires_at,
        early_payment=schemas.EarlyPaymentOut(
            discount=invoice.early_discount,
            until=invoice.early_discount_until,
            available=not state.early_discount_at(ctx.clock()).is_zero,
        )
        if invoice.early_discount and invoice.early_discount_until
        else None,
        created_at=invoice.created_at,
        paid_at=invoice.paid_at,
    ).model_dump(mode="json")


def job_json(job: Job) -> dict[str, Any]:
    return schemas.JobOut.model_validate(job, from_attributes=True).model_dump(mode="json")


def to_request(body: schemas.InvoiceCreate) -> InvoiceRequested:
    content = invoice_content(body)

    def money(minor: int) -> Money:
        return Money(minor, content.currency)

    if body.expires_at and body.due_at and body.expires_at > body.due_at:
        raise ValidationError("expires_at must not be after due_at")
    return InvoiceRequested(
        source_kind=SourceKind.API,
        external_id=body.reference,
        content=content,
        customer=customer_details(body.customer),
        due_at=body.due_at,
        expires_at=body.expires_at,
        draft=body.draft,
        early_discount=money(body.early_payment.discount) if body.early_payment else None,
        early_discount_until=body.early_payment.until if body.early_payment else None,
        buyer=business_of(body.customer),
    )


class ListQuery(BaseModel):
    status: InvoiceStatus | None = None
    created_from: AwareDatetime | None = None
    created_to: AwareDatetime | None = None
    customer_email: str | None = None
    starting_after: int | None = Field(default=None, ge=1)
    limit: int = Field(default=20, ge=1, le=invoice_queries.MAX_PAGE_SIZE)


class JobQuery(BaseModel):
    status: JobStatus | None = None
    limit: int = Field(default=50, ge=1, le=200)


def query_args(model: type[BaseModel]) -> Any:
    """Query string parameters validated like a body (422 with the parameter named)."""
    return TypeAdapter(model).validate_python(request.args.to_dict())


# Routes --------------------------------------------------------------------------------------


def create_api_blueprint() -> Blueprint:
    api = Blueprint("api", __name__, url_prefix="/api/v1")

    @api.record_once
    def _per_app(state: BlueprintSetupState) -> None:
        state.app.extensions["paylink.api_keys"] = ApiKeys(state.app.extensions["paylink"].db)

    @api.before_request
    def _authenticate() -> None:
        if request.endpoint == "api.openapi":
            return
        if api_key_from_request() is None:
            raise Unauthorized("send your API key as 'Authorization: Bearer <key>'")
        merchant = _authenticated_merchant()
        if merchant is None:
            raise Unauthorized("invalid API key")
        g.merchant_id = merchant.id

    add_message_routes(api, query_args)
    add_bank_routes(api, query_args)
    add_metrics_routes(api, query_args)
    add_recurring_routes(api)
    add_billing_routes(api)

    @api.get("/openapi.json")
    def openapi() -> Response:
        return jsonify(openapi_document(settings().base_url))

    @api.post("/invoices")
    def create_invoice() -> tuple[Response, int]:
        invoice_request = to_request(json_body(schemas.InvoiceCreate))
        invoice, created = invoice_creation.create_invoice_for(
            services(), g.api_merchant, invoice_request
        )
        return jsonify(invoice_json(invoice)), 201 if created else 200

    @api.get("/invoices")
    def list_invoices() -> Response:
        query: ListQuery = query_args(ListQuery)
        page = invoice_queries.list_invoices(
            services(), g.merchant_id, invoice_queries.InvoiceFilter(**query.model_dump())
        )
        last = page.invoices[-1].id if page.invoices and page.has_more else None
        return jsonify(
            {
                "data": [invoice_json(i) for i in page.invoices],
                "has_more": page.has_more,
                "next_starting_after": last,
            }
        )

    @api.get("/invoices/<int:invoice_id>")
    def get_invoice(invoice_id: int) -> Response:
        return jsonify(
            invoice_json(invoicing.load_invoice_by_id(services(), g.merchant_id, invoice_id))
        )

    @api.post("/invoices/<int:invoice_id>/open")
    def open_invoice(invoice_id: int) -> Response:
        return jsonify(invoice_json(invoicing.open_invoice(services(), g.merchant_id, invoice_id)))

    @api.post("/invoices/<int:invoice_id>/void")
    def void_invoice(invoice_id: int) -> Response:
        body = json_body(schemas.VoidIn) if request.content_length else schemas.VoidIn()
        invoice = invoicing.void_invoice(services(), g.merchant_id, invoice_id, body.reason)
        return jsonify(invoice_json(invoice))

    @api.post("/invoices/<int:invoice_id>/payments")
    def mark_paid(invoice_id: int) -> tuple[Response, int]:
        body = json_body(schemas.ManualPaymentIn)
        _, recorded = payments.record_manual_payment(
            services(),
            g.merchant_id,
            invoice_id,
            body.amount,
            body.reference,
            body.method,
            body.received_at,
        )
        invoice = invoicing.load_invoice_by_id(services(), g.merchant_id, invoice_id)
        return jsonify(invoice_json(invoice)), 201 if recorded else 200

    @api.get("/invoices/<int:invoice_id>/timeline")
    def timeline(invoice_id: int) -> Response:
        events = invoice_queries.invoice_timeline(services(), g.merchant_id, invoice_id)
        return jsonify(
            {"data": [{"kind": e.kind, "at": e.at.isoformat(), "data": e.data} for e in events]}
        )

    @api.get("/invoices/<int:invoice_id>/planned-messages")
    def planned_messages(invoice_id: int) -> Response:
        """What will go out for the invoice and when, including a message held until the
        sending hours open: an invoice made at night shows its 08:00 SMS at once."""
        planned = invoice_queries.planned_messages(services(), g.merchant_id, invoice_id)
        return jsonify(
            {
                "data": [
                    {
                        "step": message.step,
                        "at": message.at.isoformat(),
                        "status": message.kind.value,
                        "reason": PLANNED_REASONS[message.kind],
                    }
                    for message in planned
                ]
            }
        )

    @api.get("/jobs")
    def list_jobs() -> Response:
        query: JobQuery = query_args(JobQuery)
        jobs = job_admin.list_jobs(services(), g.merchant_id, query.status, query.limit)
        return jsonify({"data": [job_json(job) for job in jobs]})

    @api.post("/jobs/<int:job_id>/retry")
    def retry_job(job_id: int) -> Response:
        return jsonify(job_json(job_admin.retry_job(services(), g.merchant_id, job_id)))

    return api
