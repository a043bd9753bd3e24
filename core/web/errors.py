"""Every error becomes a JSON answer with a reason: domain errors, bad input, HTTP errors, and
the unexpected (logged with its traceback, answered as a bare 500 without it)."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from flask import Flask, Response, current_app, jsonify, request
from pydantic import BaseModel
from pydantic import ValidationError as SchemaError
from werkzeug.exceptions import HTTPException

from core.errors import PaylinkError
from core.page_texts import SUPPORTED, customer_error, page_language

log = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)


class RequestError(PaylinkError):
    """A request that cannot be read (not JSON, malformed JSON)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.http_status = status
        self.code = code


def error_response(
    status: int, code: str, message: str, details: list[dict[str, str]] | None = None
) -> tuple[Response, int]:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return jsonify(body), status


def json_body(model: type[Model]) -> Model:
    """The request's JSON body validated against `model`, or a RequestError/SchemaError."""
    if request.mimetype != "application/json":
        raise RequestError(415, "unsupported_media_type", "send the body as application/json")
    data = request_json()
    if data is None:
        raise RequestError(400, "malformed_json", "the body is not valid JSON")
    return model.model_validate(data)


def request_json() -> Any:
    """The request's JSON body, or None when it is not JSON, including a body nested deeper
    than Python parses (100,000 brackets: malformed, not a crash)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def _field(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(body)"


CUSTOMER_PAGES = ("/i/", "/sandbox/", "/u/")


def _wants_page() -> bool:
    """People's pages (payment pages, the console, unsubscribe links) get an HTML error page;
    the API and webhooks get JSON."""
    if request.path.startswith("/connectors/") and request.method == "GET":
        return True  # a merchant's browser on an install or callback page
    return request.path.startswith((*CUSTOMER_PAGES, "/console"))


def _error_page(status: int, message: str) -> Response:
    """Drawn without Flask's context processors: an error page shows nobody's data, and loading
    the signed-in user again (Flask-Login's processor) would re-raise the very error being
    reported, such as a refused platform session token, as a 500."""
    template = current_app.jinja_env.get_template("error.html")
    language, title = "en", str(status)
    if request.path.startswith(CUSTOMER_PAGES):
        # A customer reads words in their language (the page's ?lang=, else their browser's),
        # never a framework's English default.
        browser = request.accept_languages.best_match(SUPPORTED)
        language = page_language(request.args.get("lang"), browser or "fr")
        title, message = customer_error(language, status)
    body = template.render(status=status, title=title, message=message, language=language)
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'self'"
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(PaylinkError)
    def _domain_error(error: PaylinkError) -> tuple[Response, int]:
        if error.http_status >= 500:
            log.error("server-side error: %s", error.message)
        if _wants_page():
            return _error_page(error.http_status, error.message), error.http_status
        return error_response(error.http_status, error.code, error.message)

    @app.errorhandler(SchemaError)
    def _schema_error(error: SchemaError) -> tuple[Response, int]:
        details = [
            {"field": _field(item["loc"]), "message": item["msg"]}
            for item in error.errors(include_url=False)
        ]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        return error_response(422, "invalid", summary, details)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response, int] | Response:
        status = error.code or 500
        if _wants_page():
            return _error_page(status, error.description or error.name)
        code = (error.name or "error").lower().replace(" ", "_")
        response, status = error_response(status, code, error.description or error.name)
        original = error.get_response().headers
        for header in ("Retry-After", "Allow"):
            if original.get(header):
                response.headers[header] = original[header]
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "an unexpected error occurred")
