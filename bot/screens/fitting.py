"""Shortening members' text so a screen stays within Telegram's message limit.

Telegram counts a message's text in UTF-16 code units after its HTML is parsed (an emoji
outside the Basic Multilingual Plane counts twice) and allows 4,096 of them; screens
that show members' texts cut each to a budget in those units.
"""

from __future__ import annotations

import html
import re
from typing import Final

__all__ = ["shorten", "split_to_fit", "telegram_length", "utf16_length"]

_ELLIPSIS: Final = "…"
_TAG: Final = re.compile(r"<[^>]*>")


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts it."""
    if text.isascii():
        return len(text)
    # Encoding runs in C: ten times quicker than counting wide characters in Python.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def telegram_length(markup: str) -> int:
    """Length of an HTML message's text as Telegram counts it: tags out, entities read."""
    return utf16_length(html.unescape(_TAG.sub("", markup)).strip())


def shorten(text: str, units: int) -> str:
    """`text` cut to at most `units` UTF-16 code units, an ellipsis marking the cut."""
    length = utf16_length(text)
    if length <= units:
        return text
    budget = units - utf16_length(_ELLIPSIS)
    if length == len(text):  # one unit a character: a plain cut
        return text[:budget].rstrip() + _ELLIPSIS
    kept: list[str] = []
    for char in text:
        budget -= 2 if ord(char) > 0xFFFF else 1
        if budget < 0:
            break
        kept.append(char)
    return "".join(kept).rstrip() + _ELLIPSIS


def split_to_fit(text: str, units: int) -> list[str]:
    """`text` in pieces of at most `units` UTF-16 code units, cut at line breaks or spaces
    where one is near, so nothing is lost when it cannot be shown in one message."""
    pieces: list[str] = []
    rest = text
    while utf16_length(rest) > units:
        cut, used = 0, 0
        for index, char in enumerate(rest):
            used += 2 if ord(char) > 0xFFFF else 1
            if used > units:
                break
            cut = index + 1
        # Prefer a break in the last fifth of the piece; else cut mid-word.
        gap = max(rest.rfind("\n", 0, cut), rest.rfind(" ", 0, cut))
        if gap > cut * 4 // 5:
            cut = gap + 1
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return pieces
