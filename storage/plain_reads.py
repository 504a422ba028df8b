"""Reads compiled once per database kind and shape, then sent to the driver as they are.

A statement run through SQLAlchemy's usual path pays for its cache key and result
processing each time; a hot read whose shape is known (so many keys, one member) is
compiled once and sent as plain SQL (as `storage.users.get_member_brief` does: about
half the cost). Its values are given by parameter name; constants the statement holds
(a LIMIT) keep the values compiled into it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect

__all__ = ["PlainRead", "plain_read"]


@dataclass(frozen=True, slots=True)
class PlainRead:
    """A compiled statement and the order its parameters are sent in."""

    sql: str
    order: tuple[str, ...]
    compiled_values: Mapping[str, Any]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The statement's parameters in order: `values` by name, else as compiled."""
        return tuple(
            values[name] if name in values else self.compiled_values[name] for name in self.order
        )


_COMPILED: dict[tuple[str, Hashable], PlainRead] = {}


def plain_read(dialect: Dialect, shape: Hashable, build: Callable[[], Select[Any]]) -> PlainRead:
    """The statement `build` makes for this `shape`, compiled once for this database kind."""
    found = _COMPILED.get((dialect.name, shape))
    if found is None:
        compiled = build().compile(dialect=dialect)
        found = _COMPILED[(dialect.name, shape)] = PlainRead(
            str(compiled), tuple(compiled.positiontup or ()), dict(compiled.params)
        )
    return found
