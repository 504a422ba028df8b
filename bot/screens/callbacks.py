"""Callback data: short `kind:argument` strings, parsed back without trusting them.

A button shown in a digest carries the number of its item there (`dn:12~3`): the same
handler takes it, and knows to answer in a message of its own instead of editing the
digest (which holds the other items' buttons too).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_ID", "Callback", "encode", "in_digest", "number", "parse"]

_SEPARATOR = ":"
_DIGEST_ITEM = "~"
# Items in one digest, at most (two digits, whatever the digest's own limit).
_MAX_DIGEST_ITEM = 99
# Row ids are 32-bit integers on every backend; anything larger cannot be one of ours.
MAX_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Callback:
    """A pressed button: what kind of action and its (unchecked) argument."""

    kind: str
    argument: str
    # The item's number when the button was in a digest (None: a message of its own).
    digest_item: int | None = None


def encode(kind: str, argument: object = "") -> str:
    """Build callback data such as `lang:de` or `tz:Europe/Berlin`."""
    return f"{kind}{_SEPARATOR}{argument}"


def in_digest(data: str, item: int) -> str:
    """The same button's data for item number `item` (1, 2, …) of a digest."""
    return f"{data}{_DIGEST_ITEM}{item}"


def parse(data: str | None) -> Callback | None:
    """Split callback data; None for anything that is not ours."""
    if not data or _SEPARATOR not in data:
        return None
    kind, _, argument = data.partition(_SEPARATOR)
    if not kind.isascii() or not kind.isalpha():
        return None
    rest, marker, item = argument.rpartition(_DIGEST_ITEM)
    position = number(item, maximum=_MAX_DIGEST_ITEM) if marker else None
    if position:
        return Callback(kind, rest, position)
    # A mark that is no item's stays in the argument, which the handler then refuses.
    return Callback(kind, argument)


def number(argument: str, maximum: int = MAX_ID) -> int | None:
    """A non-negative number written in ASCII digits, up to `maximum`; None for anything else.

    `str.isdigit` alone lets through "²" (which `int` refuses) and numbers too large for
    any database column; both only come from forged data.
    """
    if not argument.isascii() or not argument.isdigit() or len(argument) > len(str(maximum)):
        return None
    value = int(argument)
    return value if value <= maximum else None
