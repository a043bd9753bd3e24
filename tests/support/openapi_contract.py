"""Every request a provider client sends, checked against the provider's official OpenAPI file
(../shared/reference): the path and method exist, the query parameters are declared, and the
body fits the operation's request schema (JSON, or form fields for Twilio). A fake provider
collects what it received; the contract reads its log at the end of the test."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

import jsonschema
import yaml
from werkzeug import Request

from tests.support.shopify_reference import _path


@dataclass(frozen=True)
class Operation:
    method: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]
    document: dict[str, Any]


@lru_cache(maxsize=8)
def _document(name: str) -> dict[str, Any]:
    with gzip.open(_path(name)) as packed:
        return json.load(packed)


class OpenApiContract:
    def __init__(self, *files: str, outside: tuple[str, ...] = ()) -> None:
        """`outside`: paths the files do not describe (PayPal's OAuth token endpoint), passed
        over on purpose."""
        self.outside = outside
        self.operations = [
            Operation(method.upper(), _path_pattern(path), operation, document)
            for document in map(_document, files)
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if method in {"get", "post", "put", "patch", "delete"}
        ]

    def violations(self, request: Request) -> list[str]:
        if request.path in self.outside:
            return []
        found = [op for op in self.operations if op.pattern.fullmatch(request.path) is not None]
        if not found:
            return [f"{request.path}: no such path in the contract"]
        matching = [op for op in found if op.method == request.method]
        if not matching:
            return [f"{request.method} {request.path}: method not in the contract"]
        operation = matching[0]
        return self._query_violations(operation, request) + self._body_violations(
            operation, request
        )

    def assert_log_conforms(self, log: list[tuple[Request, Any]]) -> None:
        problems = [problem for request, _ in log for problem in self.violations(request)]
        assert not problems, "\n".join(problems)

    def _query_violations(self, operation: Operation, request: Request) -> list[str]:
        declared = {p["name"] for p in _resolved_parameters(operation) if p.get("in") == "query"}
        return [
            f"{request.method} {request.path}: query parameter {name} not in the contract"
            for name in request.args
            if name not in declared
        ]

    def _body_violations(self, operation: Operation, request: Request) -> list[str]:
        body_spec = _resolve(operation.document, operation.spec.get("requestBody", {}))
        content = body_spec.get("content", {})
        raw = request.get_data()
        if not content:
            return [f"{request.path}: a body the contract does not take"] if raw else []
        if not raw:
            return (
                [f"{request.path}: the contract requires a body"]
                if body_spec.get("required")
                else []
            )
        media = (request.mimetype or "").lower()
        if media not in content:
            return [f"{request.path}: body sent as {media}, contract takes {sorted(content)}"]
        schema = content[media]["schema"]
        if media == "application/x-www-form-urlencoded":
            body: Any = dict(parse_qsl(raw.decode()))
            declared = _resolve(operation.document, schema).get("properties", {})
            unknown = [name for name in body if name not in declared]
            if unknown:
                return [
                    f"{request.path}: form field {name} not in the contract" for name in unknown
                ]
        else:
            body = json.loads(raw) if raw else None
        validator = jsonschema.Draft7Validator({**operation.document, **schema})
        return [
            f"{request.method} {request.path}: {'/'.join(map(str, e.absolute_path))} {e.message}"
            for e in validator.iter_errors(body)
        ]


def _path_pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)))


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _resolved_parameters(operation: Operation) -> list[dict[str, Any]]:
    return [_resolve(operation.document, p) for p in operation.spec.get("parameters", [])]


PAYPAL = (
    "paypal-checkout-orders-v2.json.gz",
    "paypal-payments-payment-v2.json.gz",
    "paypal-notifications-webhooks-v1.json.gz",
)
TWILIO = ("twilio-api-v2010.json.gz",)


def checked_against(request: Any, contract: OpenApiContract) -> Any:
    """For an autouse fixture: after the test, every request the test's `httpserver` received
    must conform (tests without a fake server are passed over)."""
    server = request.getfixturevalue("httpserver") if "httpserver" in request.fixturenames else None
    yield
    if server is not None:
        contract.assert_log_conforms(server.log)


class SwaggerContract(OpenApiContract):
    """The same check for a Swagger 2.0 file (Magento's admin REST API): paths under its
    `basePath`, bodies as its `in: body` parameter, and `searchCriteria[...][N]` query names read
    against the `[0]` the file declares (Magento's arrays take any index)."""

    def __init__(self, name: str, outside: tuple[str, ...] = ()) -> None:
        document = _swagger(name)
        self.base = str(document.get("basePath") or "")
        self.outside = outside
        self.operations = [
            Operation(method.upper(), _path_pattern(self.base + path), operation, document)
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if method in {"get", "post", "put", "patch", "delete"}
        ]

    def _query_violations(self, operation: Operation, request: Request) -> list[str]:
        declared = {p["name"] for p in _resolved_parameters(operation) if p.get("in") == "query"}
        return [
            f"{request.method} {request.path}: query parameter {name} not in the contract"
            for name in request.args
            if re.sub(r"\[\d+\]", "[0]", name) not in declared
        ]

    def _body_violations(self, operation: Operation, request: Request) -> list[str]:
        bodies = [p for p in _resolved_parameters(operation) if p.get("in") == "body"]
        raw = request.get_data()
        if not bodies:
            return [f"{request.path}: a body the contract does not take"] if raw else []
        if not raw:
            return [f"{request.path}: the contract requires a body"]
        validator = jsonschema.Draft4Validator({**operation.document, **bodies[0]["schema"]})
        return [
            f"{request.method} {request.path}: {'/'.join(map(str, e.absolute_path))} {e.message}"
            for e in validator.iter_errors(json.loads(raw))
        ]


@lru_cache(maxsize=2)
def _swagger(name: str) -> dict[str, Any]:
    with gzip.open(_path(name)) as packed:
        loaded: dict[str, Any] = yaml.load(
            packed, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    return loaded


MAGENTO = "magento-admin-openapi-2.4.9.yaml.gz"
