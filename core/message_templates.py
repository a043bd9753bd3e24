"""Message templates: the defaults shipped per locale (`templates/messages/<locale>.toml`) and the
merchant's own edits, rendered in Jinja2's sandbox because merchants write them.

A template may use only the variables below; anything else is refused when it is saved, with
the name of the unknown variable, rather than failing when a customer should get the message.

Jinja2's sandbox stops a template from reaching Python's internals, not from running for
minutes or printing gigabytes (`{% for %}` in `{% for %}`, `'a' * 10**8`, `9 ** 9999999`). So a
merchant's template may use only a small, bounded part of the language: output, `if`/`else`,
comparisons and tests, `~` and `+` on the variables (all short strings), slices, and a few
filters whose output is at most a small multiple of their input. No loop, macro, `set`, call,
attribute or arithmetic beyond that: rendering is linear in the template's length, and the
rendered text is refused past `MAX_RENDERED_CHARS`.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from importlib.resources import files

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from core.errors import ValidationError
from core.reminders import MessageKind

LOCALES = ("fr", "en")
#: How each template language formats amounts and dates (Babel locales).
BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
MAX_TEMPLATE_CHARS = 4000
#: A rendered message longer than this is refused: ten SMS segments' worth for a text, a long
#: email for a body; far more than any message needs, far less than what hurts a server.
MAX_RENDERED_CHARS = 20_000
#: What a merchant's template is made of: every node kind the bounded language allows.
ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.If,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Concat,
    nodes.Add,
    nodes.Getitem,
    nodes.Slice,
    nodes.Filter,
    nodes.Test,
)
#: Filters whose output stays within a small multiple of their input (no `center(10**8)`).
ALLOWED_FILTERS = frozenset(
    {"upper", "lower", "capitalize", "title", "trim", "default", "d", "truncate", "length"}
)
ALLOWED_TESTS = frozenset({"defined", "undefined", "none", "string", "eq", "ne", "in"})
VARIABLES = frozenset(
    {
        "first_name",
        "customer_name",
        "merchant",
        "amount",
        "due_date",
        "link",
        "survey_link",
        "invoice_number",
        "promo_code",
        "promo_value",
        "promo_until",
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
_sandbox.globals.clear()  # range, lipsum, cycler...: a template sees its variables only


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
    _check_bounded(parsed)
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


def _check_bounded(parsed: nodes.Template) -> None:
    """Refuse what the bounded language leaves out (see the module's docstring), naming it."""
    for node in parsed.find_all(nodes.Node):
        if not isinstance(node, ALLOWED_NODES):
            _refuse_construct(_construct_name(node), getattr(node, "lineno", 1))
        if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            _refuse_construct(f"|{node.name}", node.lineno)
        if isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS:
            _refuse_construct(f"is {node.name}", node.lineno)
        if isinstance(node, nodes.Filter) and (node.dyn_args or node.dyn_kwargs):
            _refuse_construct("*args", node.lineno)


#: How a merchant wrote what the bounded language leaves out, to name it in the refusal.
CONSTRUCT_SYNTAX = {
    "For": "{% for %}",
    "Macro": "{% macro %}",
    "CallBlock": "{% call %}",
    "Assign": "{% set %}",
    "AssignBlock": "{% set %}",
    "With": "{% with %}",
    "FilterBlock": "{% filter %}",
    "Include": "{% include %}",
    "Import": "{% import %}",
    "FromImport": "{% import %}",
    "Extends": "{% extends %}",
    "Block": "{% block %}",
    "Call": "( )",
    "Getattr": ".",
    "Mul": "*",
    "Pow": "**",
    "Div": "/",
    "FloorDiv": "//",
    "Mod": "%",
    "Sub": "-",
    "Neg": "-",
    "List": "[ ]",
    "Tuple": "( , )",
    "Dict": "{ }",
}


def _construct_name(node: nodes.Node) -> str:
    kind = type(node).__name__
    return CONSTRUCT_SYNTAX.get(kind, kind.lower())


def _refuse_construct(what: str, line: int) -> None:
    raise ValidationError(
        f"line {line}: templates use only variables, if/else and simple filters, not {what}",
        key="template_construct",
        what=what,
        line=line,
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
    if len(rendered) > MAX_RENDERED_CHARS:
        raise ValidationError(
            f"this template produces more than {MAX_RENDERED_CHARS} characters",
            key="template_output",
            most=MAX_RENDERED_CHARS,
        )
    return rendered.strip()
