"""The API's billing rules: read them, and replace them as an ordered list (the first matching
rule wins each setting)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify

from core.billing_rules import rule_from_json, rule_to_json
from core.services import billing
from core.storage.models import Merchant
from core.web import api_schemas as schemas
from core.web.current import services
from core.web.errors import json_body


def _rules(merchant_id: int) -> dict[str, Any]:
    with services().db.reading() as session:
        merchant = session.get(Merchant, merchant_id)
        assert merchant is not None
        return {"rules": [rule_to_json(rule) for rule in billing.rules_of(merchant)]}


def add_billing_routes(api: Blueprint) -> None:
    @api.get("/billing-rules")
    def get_billing_rules() -> Response:
        return jsonify(_rules(g.merchant_id))

    @api.put("/billing-rules")
    def put_billing_rules() -> Response:
        body = json_body(schemas.BillingRulesIO)
        rules = [rule_from_json(rule.model_dump(exclude_none=True)) for rule in body.rules]
        billing.set_rules(services(), g.merchant_id, rules)
        return jsonify(_rules(g.merchant_id))
