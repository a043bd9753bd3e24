"""The API's billing rules: read them, and replace them as an ordered list (the first matching
rule wins each setting); and the thank-you code offered to early payers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify

from core.billing_rules import rule_from_json, rule_to_json
from core.early_payer_reward import RewardKind, RewardOffer
from core.services import billing, rewards
from core.storage.models import Merchant
from core.web import api_schemas as schemas
from core.web.current import services
from core.web.errors import json_body


def _rules(merchant_id: int) -> dict[str, Any]:
    with services().db.reading() as session:
        merchant = session.get(Merchant, merchant_id)
        assert merchant is not None
        return {"rules": [rule_to_json(rule) for rule in billing.rules_of(merchant)]}


def _reward(merchant_id: int) -> dict[str, Any]:
    with services().db.reading() as session:
        merchant = session.get(Merchant, merchant_id)
        assert merchant is not None
        offer = rewards.offer_of(merchant)
    if offer is None:
        return {"enabled": False}
    return {
        "enabled": True,
        "window_hours": offer.window_hours,
        "kind": offer.kind.value,
        "value": offer.value,
        "valid_days": offer.valid_days,
    }


def add_billing_routes(api: Blueprint) -> None:
    @api.get("/early-payer-reward")
    def get_early_payer_reward() -> Response:
        return jsonify(_reward(g.merchant_id))

    @api.put("/early-payer-reward")
    def put_early_payer_reward() -> Response:
        body = json_body(schemas.EarlyPayerRewardIO)
        offer = (
            RewardOffer(body.window_hours, RewardKind(body.kind), body.value, body.valid_days)
            if body.enabled
            else None
        )
        rewards.set_offer(services(), g.merchant_id, offer)
        return jsonify(_reward(g.merchant_id))

    @api.get("/billing-rules")
    def get_billing_rules() -> Response:
        return jsonify(_rules(g.merchant_id))

    @api.put("/billing-rules")
    def put_billing_rules() -> Response:
        body = json_body(schemas.BillingRulesIO)
        rules = [rule_from_json(rule.model_dump(exclude_none=True)) for rule in body.rules]
        billing.set_rules(services(), g.merchant_id, rules)
        return jsonify(_rules(g.merchant_id))
