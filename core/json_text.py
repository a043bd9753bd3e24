"""JSON text written and read by orjson: the database's JSON columns and parameters, and (through
`core.web.json_provider`) the web's request bodies and answers.

The standard library's encoder and decoder were a tenth of an API creation's CPU (its body, its
four JSON parameters, the merchant's JSON settings read back, its answer); orjson does the same
work in a fraction of it (a creation-sized dict: 9.9 us against 1.2 us; API creations in one
process -9% CPU on PostgreSQL; through gunicorn within this machine's noise). It writes
the same compact text `json.dumps` would for what the project stores, but for non-ASCII
characters, written as UTF-8 rather than escaped (a JSON column is text, read back the same).

What `json.dumps` refuses stays refused: a moment or a dataclass in a stored value is a
TypeError, not quietly turned into text (orjson would), so a value that should have been
converted first is found by its test. Keys that are not strings are written as strings, as
`json.dumps` writes them, and what orjson cannot write (an integer beyond 64 bits) is written by
`json.dumps`. Read, orjson is stricter than `json.loads`, and rightly so for input:
NaN and Infinity, lone surrogates (no database stores them) and nesting deeper than 1,024 are not
JSON, and an integer beyond 64 bits is read as a float (refused where the API wants an integer).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

#: What `json.dumps` would do: keys that are not strings written as strings, moments and
#: dataclasses handed to the `default` given (none: refused) instead of orjson's own formats.
OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dumps(value: Any) -> str:
    """`value` as compact JSON text (the engines' `json_serializer`)."""
    return encoded(value).decode()


def encoded(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """`value` as compact JSON in UTF-8, what orjson does not know handed to `default`. What
    orjson cannot write but `json.dumps` can (an integer beyond 64 bits) is written by
    `json.dumps`; what both refuse is a TypeError."""
    try:
        return orjson.dumps(value, default=default, option=OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, default=default, separators=(",", ":")).encode()


def loads(text: str | bytes | bytearray | memoryview) -> Any:
    """The value of JSON `text` (the engines' `json_deserializer`); a `ValueError` when it is
    not JSON."""
    return orjson.loads(text)
