"""Flask's JSON through orjson (`core.web.json_provider`): answers byte for byte what Flask's own
provider writes (dates, decimals, UUIDs, dataclasses converted as Flask converts them), but for
non-ASCII characters sent as UTF-8; indented in debug mode as Flask indents; request bodies that
are not JSON (NaN, a lone surrogate, nesting beyond 1,024) read as none."""

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask, jsonify, request
from flask.json.provider import DefaultJSONProvider

from core.web.json_provider import OrjsonProvider


@dataclass
class Line:
    label: str
    quantity: int


ANSWER = {
    "id": 42,
    "paid": False,
    "note": None,
    "lines": [Line("Tea", 2)],
    "due": date(2026, 12, 24),
    "at": datetime(2026, 12, 2, 17, 5, tzinfo=UTC),
    "rate": Decimal("0.20"),
    "ref": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "zebra": "last key stays last",
    "html": "<b>&'\"</b>\n\t\u0001",
}


def app_with(provider: type[DefaultJSONProvider], debug: bool = False) -> Flask:
    app = Flask(__name__)
    app.json = provider(app)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.debug = debug

    @app.post("/echo")
    def echo() -> object:
        return jsonify({"read": request.get_json(silent=True)})

    @app.get("/answer")
    def answer() -> object:
        return jsonify(ANSWER)

    @app.get("/huge")
    def huge() -> object:
        return jsonify({"n": 10**30, "customer": "Zoé"})

    @app.get("/french")
    def french() -> object:
        return jsonify({"customer": "Zoé Lefèvre"})

    return app


@pytest.mark.parametrize("debug", [False, True])
def test_an_answer_is_what_flask_writes(debug: bool) -> None:
    ours = app_with(OrjsonProvider, debug).test_client().get("/answer")
    flasks = app_with(DefaultJSONProvider, debug).test_client().get("/answer")
    assert ours.data == flasks.data
    assert ours.mimetype == flasks.mimetype == "application/json"


def test_what_orjson_cannot_write_is_written_as_flask_writes_it() -> None:
    ours = app_with(OrjsonProvider).test_client().get("/huge")
    assert ours.data == app_with(DefaultJSONProvider).test_client().get("/huge").data
    assert json.loads(ours.data) == {"n": 10**30, "customer": "Zoé"}


def test_non_ascii_characters_are_sent_as_utf8() -> None:
    answer = app_with(OrjsonProvider).test_client().get("/french")
    assert answer.data == '{"customer":"Zoé Lefèvre"}\n'.encode()
    assert answer.json == {"customer": "Zoé Lefèvre"}


@pytest.mark.parametrize(
    "body",
    [b'{"amount": NaN}', b'{"name": "\\ud800"}', b"[" * 1100 + b"]" * 1100, b'{"a": 1,}'],
    ids=["nan", "lone-surrogate", "too-deep", "trailing-comma"],
)
def test_a_body_that_is_not_json_reads_as_none(body: bytes) -> None:
    client = app_with(OrjsonProvider).test_client()
    answer = client.post("/echo", data=body, content_type="application/json")
    assert answer.json == {"read": None}


def test_a_json_body_reads_as_its_value() -> None:
    client = app_with(OrjsonProvider).test_client()
    body = '{"customer": {"name": "Zoé"}, "lines": [{"unit_price": 1250}], "x": 1.5}'
    answer = client.post("/echo", data=body.encode(), content_type="application/json")
    assert answer.json == {
        "read": {"customer": {"name": "Zoé"}, "lines": [{"unit_price": 1250}], "x": 1.5}
    }
