"""Message templates: the defaults shipped per locale (`templates/messages/<locale>.toml`) and the
merchant's own edits, rendered in Jinja2's sandbox because merchants write them.

A template may use only the variables below; anything else is refused when it is saved, with
the name of the unknown variable, rather than failing when a customer should get the message.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from importlib.resources import files

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from core.errors import ValidationError
from core.reminders import MessageKind

LOCALES = ("fr", "en")
MAX_TEMPLATE_CHARS = 4000
VARIABLES = frozenset(
    {
        "first_name",
        "customer_name",
        "merchant",
        "amount",
        "due_date",
        "link",
        "invoice_number",
        "promo_code",
        "instalment",
        "expires",
        "stop",
    }
)


class Part(enum.StrEnum):
    SMS = "sms"
    SUBJECT = "subject"
    BODY = "body"  # plain text; the HTML email is laid out from it


_sandbox = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def template_locale(locale: str) -> str:
    language = locale.split("_")[0].split("-")[0].lower()
    return language if language in LOCALES else LOCALES[0]


@lru_cache(maxsize=len(LOCALES))
def _defaults(locale: str) -> dict[str, dict[str, str]]:
    text = files("core").joinpath("templates", "messages", f"{locale}.toml").read_text("utf-8")
    return tomllib.loads(text)


def default_template(kind: MessageKind, locale: str, part: Part) -> str:
    return _defaults(template_locale(locale))[kind.value][part.value].strip()


@lru_cache(maxsize=1024)
def _compiled(text: str) -> Template:
    """Compiled once per distinct text: compiling costs more than rendering."""
    check_template(text)
    return _sandbox.from_string(text)


def check_template(text: str) -> None:
    """Refuse, with a reason, a template that cannot render: bad syntax, an unknown variable."""
    if len(text) > MAX_TEMPLATE_CHARS:
        raise ValidationError(
            f"a template is at most {MAX_TEMPLATE_CHARS} characters",
            key="template_length",
            most=MAX_TEMPLATE_CHARS,
        )
    try:
        parsed = _sandbox.parse(text)
    except TemplateSyntaxError as error:
        raise ValidationError(
            f"template error on line {error.lineno}: {error.message}",
            key="template_syntax",
            line=error.lineno,
            detail=error.message,
        ) from None
    unknown = meta.find_undeclared_variables(parsed) - VARIABLES
    if unknown:
        names = ", ".join(sorted(unknown))
        known = ", ".join(sorted(VARIABLES))
        raise ValidationError(
            f"unknown variable {names}; use {known}",
            key="template_variable",
            names=names,
            known=known,
        )


def render_template(text: str, values: Mapping[str, str]) -> str:
    """Render in the sandbox; every variable is given (empty when it does not apply), so only
    an unsafe or broken template can fail, and it fails with a reason."""
    template = _compiled(text)
    complete = {name: values.get(name, "") for name in VARIABLES}
    try:
        rendered = template.render(complete)
    except (SecurityError, UndefinedError, TypeError) as error:
        raise ValidationError(f"template refused: {error}") from None
    return rendered.strip()
