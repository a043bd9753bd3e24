"""Brand colours that stay readable: WCAG 2.1 contrast, so a merchant's light colour never
leaves white text unreadable on the payment page's buttons."""

from __future__ import annotations

import re

from core.errors import ValidationError

_HEX = re.compile(r"#([0-9a-fA-F]{6})")
LIGHT_TEXT = "#ffffff"
DARK_TEXT = "#111111"
AA_NORMAL_TEXT = 4.5


def _luminance(colour: str) -> float:
    match = _HEX.fullmatch(colour)
    if match is None:
        raise ValidationError(f"colour {colour!r}: expected #rrggbb")
    channels = [int(match.group(1)[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(background: str) -> str:
    """White text where it meets AA on the colour, else near-black (whichever contrasts more)."""
    if contrast_ratio(background, LIGHT_TEXT) >= AA_NORMAL_TEXT:
        return LIGHT_TEXT
    return max((LIGHT_TEXT, DARK_TEXT), key=lambda text: contrast_ratio(background, text))
