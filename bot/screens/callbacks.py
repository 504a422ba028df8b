"""Callback data: short `kind:argument` strings, parsed back without trusting them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_ID", "Callback", "encode", "number", "parse"]

_SEPARATOR = ":"
# Row ids are 32-bit integers on every backend; anything larger cannot be one of ours.
MAX_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Callback:
    """A pressed button: what kind of action and its (unchecked) argument."""

    kind: str
    argument: str


def encode(kind: str, argument: object = "") -> str:
    """Build callback data such as `lang:de` or `tz:Europe/Berlin`."""
    return f"{kind}{_SEPARATOR}{argument}"


def parse(data: str | None) -> Callback | None:
    """Split callback data; None for anything that is not ours."""
    if not data or _SEPARATOR not in data:
        return None
    kind, _, argument = data.partition(_SEPARATOR)
    if not kind.isascii() or not kind.isalpha():
        return None
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
