"""Text as people read it on a narrow screen."""

from __future__ import annotations


def unbroken(text: str | None) -> str:
    """`text` kept on one line: a saved card's "Visa •••• 4242" must not wrap between its dots
    and its digits on a phone. Its spaces become no-break spaces; it stays plain text, escaped
    where it is printed like any other."""
    return (text or "").replace(" ", "\u00a0")
