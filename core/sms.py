"""SMS text, pure: which encoding a text needs, how many segments it costs, what it costs, and
amounts written so they do not force UCS-2.

GSM 03.38 comes from the `gsm0338` codec (its extension table, `€ [ ] { } ~ ^ | \\`, counts two
septets per character); any character outside it sends the whole message as UCS-2, where a
character outside the BMP (an emoji) counts two units.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from decimal import Decimal

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

from core.money import Money

GSM7_SINGLE, GSM7_PART = 160, 153  # septets; a concatenated part carries a 6-octet header
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units
#: The currency of the SMS segment price (PAYLINK_SMS_SEGMENT_PRICE), hence of every message's
#: estimated cost.
PRICE_CURRENCY = "EUR"
#: Babel's French formatting uses these spaces, which GSM-7 does not have.
NON_BREAKING_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " "})


class Encoding(enum.StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True, slots=True)
class SmsMeasure:
    encoding: Encoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int

    def cost(self, price_per_segment: Decimal) -> Decimal:
        return price_per_segment * self.segments


def measure(text: str) -> SmsMeasure:
    """Encoding, length and segment count of an SMS text, as the network will bill it."""
    try:
        units = len(text.encode("gsm03.38"))
        encoding, single, part = Encoding.GSM7, GSM7_SINGLE, GSM7_PART
    except UnicodeEncodeError:
        units = len(text.encode("utf-16-be")) // 2
        encoding, single, part = Encoding.UCS2, UCS2_SINGLE, UCS2_PART
    segments = 1 if units <= single else math.ceil(units / part)
    return SmsMeasure(encoding, units, segments)


def sms_money(amount: Money, locale: str) -> str:
    """An amount as the customer's locale writes it, with plain spaces ("1 234,50 €")."""
    return amount.format(locale).translate(NON_BREAKING_SPACES)


#: Replies that mean "stop texting me", in French and English (compared without accents).
STOP_WORDS = frozenset({"STOP", "ARRET", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})


def is_stop_reply(body: str) -> bool:
    word = body.strip().upper().replace("Ê", "E").rstrip(".!")
    return word in STOP_WORDS
