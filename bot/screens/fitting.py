"""Telegram's message limits, and shortening text so a screen stays within them.

Telegram counts a message's text in UTF-16 code units after its HTML is parsed (an emoji
outside the Basic Multilingual Plane counts twice, `&amp;` once), allows 4,096 of them,
100 inline buttons and 64 bytes of callback data per button.
"""

from __future__ import annotations

import html
import re
from typing import Final

__all__ = [
    "MAX_BUTTONS",
    "MAX_MESSAGE_LENGTH",
    "shorten",
    "utf16_length",
    "visible_length",
]

MAX_MESSAGE_LENGTH: Final = 4096
MAX_BUTTONS: Final = 100
_ELLIPSIS: Final = "…"
_TAG = re.compile(r"<[^>]*>")


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts it."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def visible_length(markup: str) -> int:
    """Telegram's length of an HTML message: tags dropped, entities counted as one character."""
    return utf16_length(html.unescape(_TAG.sub("", markup)))


def shorten(text: str, units: int) -> str:
    """`text` cut to at most `units` UTF-16 code units, an ellipsis marking the cut."""
    if utf16_length(text) <= units:
        return text
    budget = units - utf16_length(_ELLIPSIS)
    kept: list[str] = []
    for char in text:
        budget -= 2 if ord(char) > 0xFFFF else 1
        if budget < 0:
            break
        kept.append(char)
    return "".join(kept).rstrip() + _ELLIPSIS
