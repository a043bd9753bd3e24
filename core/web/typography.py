"""Text as people read it on a narrow screen."""

from __future__ import annotations

import phonenumbers


def unbroken(text: str | None) -> str:
    """`text` kept on one line: a saved card's "Visa •••• 4242" must not wrap between its dots
    and its digits on a phone. Its spaces become no-break spaces; it stays plain text, escaped
    where it is printed like any other."""
    return (text or "").replace(" ", "\u00a0")


def readable_phone(number: str | None) -> str:
    """A stored phone number (E.164, "+33612345678", as `make_customer` keeps it) grouped the
    way its country writes it, in the international form ("+33 6 12 34 56 78"), on one line.
    Anything else (an email address beside it in a list of recipients) comes back as it is."""
    if not number or not number.startswith("+"):
        return number or ""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return number
    international = phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return unbroken(phonenumbers.format_number(parsed, international))
