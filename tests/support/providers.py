"""Helpers for provider tests: every provider API pointed at one local fake server, fixtures
read as the provider sends them, and the invoice as it now stands."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from werkzeug import Response

from core.payments.provider import ProviderEnvironment
from core.payments.registry import provider_factories
from core.services import invoicing
from core.services.context import ServiceContext
from core.storage.models import Invoice, Job

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / name).read_bytes()


def fixture_json(provider: str, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(fixture(provider, name))
    return loaded


def json_answer(body: bytes | dict[str, Any], status: int = 200) -> Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Response(data, status, content_type="application/json")


def use_fake_apis(app: Any, env: ProviderEnvironment, base: str) -> ProviderEnvironment:
    """Point every provider's API base at `base` (a pytest-httpserver), for this app."""
    fake = replace(env, api_base_urls={name: base.rstrip("/") for name in provider_factories()})
    app.extensions["paylink.providers"] = fake
    return fake


def current(ctx: ServiceContext, invoice: Invoice) -> Invoice:
    return invoicing.load_invoice_by_id(ctx, invoice.merchant_id, invoice.id)


def jobs_of(ctx: ServiceContext, kind: str) -> list[Job]:
    with ctx.db.transaction() as session:
        return list(session.query(Job).filter(Job.kind == kind).order_by(Job.id))
