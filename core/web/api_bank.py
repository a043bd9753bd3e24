"""The API's bank routes: import a statement (the raw file as the body), read and decide the
exceptions queue, save a CSV layout. Added to the API blueprint, so the same key
authenticates, and every line or invoice is looked up within the key's merchant."""

from __future__ import annotations

import shutil
import tempfile
from typing import Any, BinaryIO, cast

from flask import Blueprint, Response, g, jsonify, request
from pydantic import BaseModel, Field

from core.bank_statements import CsvProfile
from core.money import Money
from core.services import bank_exceptions, reconciliation
from core.storage.bank_models import BankLineState
from core.web import api_schemas as schemas
from core.web.current import services, settings
from core.web.errors import json_body

#: The body is spooled to disk past this size: a year of statements stays out of memory.
SPOOL_BYTES = 1 << 20
#: Who imported or decided, as the audit shows it.
DECIDED_BY_API = "API"


class BankLineQuery(BaseModel):
    state: BankLineState | None = BankLineState.UNMATCHED
    limit: int = Field(default=50, ge=1, le=200)


class ImportQuery(BaseModel):
    csv_profile: str | None = Field(default=None, max_length=60)


def line_json(line: bank_exceptions.BankLineView) -> dict[str, Any]:
    return schemas.BankLineOut(
        id=line.id,
        state=line.state.value,
        booked_on=line.booked.isoformat() if line.booked else None,
        amount=line.amount.minor,
        currency=line.amount.currency,
        payer=line.payer,
        remittance=line.remittance,
        references=list(line.references),
        statement=line.statement,
        suggestions=[
            schemas.BankSuggestionOut(
                invoice_id=s.invoice_id,
                number=s.number,
                customer_name=s.customer_name,
                amount_due=s.amount_due.minor,
                currency=s.amount_due.currency,
                score=s.score,
                reasons=list(s.reasons),  # type: ignore[arg-type]
            )
            for s in line.suggestions
        ],
        invoices=list(line.invoice_numbers),
        decided_by=line.decided_by,
        decided_at=line.decided_at,
    ).model_dump(mode="json")


def add_bank_routes(api: Blueprint, query_args: Any) -> None:
    @api.post("/bank-statements")
    def import_bank_statement() -> tuple[Response, int]:
        request.max_content_length = settings().max_statement_bytes
        query: ImportQuery = query_args(ImportQuery)
        ctx = services()
        profile = (
            reconciliation.csv_profile(ctx, g.merchant_id, query.csv_profile)
            if query.csv_profile
            else None
        )
        with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as body:
            shutil.copyfileobj(request.stream, body)
            body.seek(0)
            summary = reconciliation.import_statement(
                ctx, g.merchant_id, cast(BinaryIO, body), DECIDED_BY_API, profile
            )
        return jsonify(schemas.BankImportOut(**vars(summary)).model_dump(mode="json")), 201

    @api.get("/bank-lines")
    def list_bank_lines() -> Response:
        query: BankLineQuery = query_args(BankLineQuery)
        lines = bank_exceptions.bank_lines(services(), g.merchant_id, query.state, query.limit)
        return jsonify({"data": [line_json(line) for line in lines]})

    @api.post("/bank-lines/<int:line_id>/match")
    def match_bank_line(line_id: int) -> Response:
        body = json_body(schemas.BankMatchIn)
        ctx = services()
        amounts = None
        if body.amounts is not None:
            [line] = _one_line(line_id)
            amounts = [Money(minor, line.amount.currency) for minor in body.amounts]
        bank_exceptions.match_by_hand(
            ctx, g.merchant_id, line_id, body.invoices, DECIDED_BY_API, amounts
        )
        return jsonify(line_json(_one_line(line_id)[0]))

    @api.post("/bank-lines/<int:line_id>/ignore")
    def ignore_bank_line(line_id: int) -> Response:
        bank_exceptions.ignore_line(services(), g.merchant_id, line_id, DECIDED_BY_API)
        return jsonify(line_json(_one_line(line_id)[0]))

    @api.put("/bank-csv-profiles/<name>")
    def save_csv_profile(name: str) -> Response:
        body = json_body(schemas.CsvProfileIn)
        profile = CsvProfile.from_json({"name": name, **body.model_dump()})
        reconciliation.save_csv_profile(services(), g.merchant_id, profile)
        return jsonify({"name": profile.name, **body.model_dump()})


def _one_line(line_id: int) -> list[bank_exceptions.BankLineView]:
    return bank_exceptions.bank_lines(
        services(), g.merchant_id, state=None, limit=1, line_id=line_id
    )
