"""The API's message routes: the messages log, the reminder policy, and the merchant's templates
(checked and previewed when saved). Added to the API blueprint, so the same key authenticates."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify
from pydantic import BaseModel, Field

from core.services import message_settings
from core.services.messaging import RECIPIENT
from core.storage.models import Message
from core.web import api_schemas as schemas
from core.web.current import services
from core.web.errors import json_body


class MessageQuery(BaseModel):
    invoice_id: int | None = Field(default=None, ge=1)
    limit: int = Field(default=50, ge=1, le=message_settings.MAX_LOG_PAGE)


def message_json(message: Message) -> dict[str, Any]:
    fields = {
        name: getattr(message, name) for name in schemas.MessageOut.model_fields if name != "to"
    }
    fields["to"] = services().keyring.decrypt(message.recipient_ciphertext, RECIPIENT)
    return schemas.MessageOut.model_validate(fields).model_dump(mode="json")


def template_json(
    kind: str, locale: str, part: str, preview: message_settings.TemplatePreview
) -> dict[str, Any]:
    sms = (
        schemas.SmsMeasureOut(
            encoding=preview.sms.encoding.value,
            units=preview.sms.units,
            segments=preview.sms.segments,
        )
        if preview.sms
        else None
    )
    return schemas.TemplateOut(
        kind=kind,
        locale=locale,
        part=part,  # type: ignore[arg-type]
        text=preview.text,
        custom=preview.custom,
        preview=preview.rendered,
        sms=sms,
    ).model_dump(mode="json")


def add_message_routes(api: Blueprint, query_args: Any) -> None:
    @api.get("/messages")
    def list_messages() -> Response:
        query: MessageQuery = query_args(MessageQuery)
        log = message_settings.message_log(services(), g.merchant_id, query.invoice_id, query.limit)
        return jsonify({"data": [message_json(m) for m in log]})

    @api.get("/reminder-policy")
    def get_reminder_policy() -> Response:
        return jsonify(
            {"steps": message_settings.reminder_policy(services(), g.merchant_id).to_json()}
        )

    @api.put("/reminder-policy")
    def put_reminder_policy() -> Response:
        body = json_body(schemas.ReminderPolicyIO)
        steps = [step.model_dump() for step in body.steps]
        policy = message_settings.set_reminder_policy(services(), g.merchant_id, steps)
        return jsonify({"steps": policy.to_json()})

    @api.delete("/reminder-policy")
    def reset_reminder_policy() -> Response:
        policy = message_settings.set_reminder_policy(services(), g.merchant_id, None)
        return jsonify({"steps": policy.to_json()})

    @api.get("/templates/<kind>/<locale>/<part>")
    def get_template(kind: str, locale: str, part: str) -> Response:
        preview = message_settings.template(services(), g.merchant_id, kind, locale, part)
        return jsonify(template_json(kind, locale, part, preview))

    @api.put("/templates/<kind>/<locale>/<part>")
    def put_template(kind: str, locale: str, part: str) -> Response:
        body = json_body(schemas.TemplateIn)
        preview = message_settings.set_template(
            services(), g.merchant_id, kind, locale, part, body.text
        )
        return jsonify(template_json(kind, locale, part, preview))

    @api.delete("/templates/<kind>/<locale>/<part>")
    def reset_template(kind: str, locale: str, part: str) -> Response:
        preview = message_settings.set_template(services(), g.merchant_id, kind, locale, part, None)
        return jsonify(template_json(kind, locale, part, preview))
