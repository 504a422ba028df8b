"""Callback data: short `kind:argument` strings, parsed back without trusting them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Callback", "encode", "parse"]

_SEPARATOR = ":"


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
