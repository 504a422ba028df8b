"""Stored texts that cannot be read: what stands in for them, and who hears of them.

A value that does not decrypt (a key removed, tampering, a token moved from another row
or member) must not fail a member's command or the dispatcher: it loads as an empty
`UnreadableText` or `UnreadableData`, is logged without any text, and is reported to the
listeners of the session factory it was read through (the bot counts it in its metrics).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

__all__ = [
    "UnreadableData",
    "UnreadableListener",
    "UnreadableReport",
    "UnreadableText",
    "is_unreadable",
    "listen_for_unreadable",
    "report_unreadable",
    "unreadable_info",
]

log = logging.getLogger("netcoach")

_LISTENERS = "netcoach_unreadable_listeners"


class UnreadableText(str):
    """A stored text that could not be decrypted; empty, with the reason for logs.

    Catalogs show it as their `shown_as` message wherever it fills a placeholder. It is
    true, unlike an empty text: there is something, it just cannot be shown.
    """

    reason: str
    shown_as = "unreadable.text"

    def __new__(cls, reason: str) -> UnreadableText:
        """An empty text that remembers why it is empty."""
        made = super().__new__(cls, "")
        made.reason = reason
        return made

    def __bool__(self) -> bool:
        return True


class UnreadableData(dict[str, Any]):
    """A stored draft that could not be decrypted; empty, with the reason for logs."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def is_unreadable(value: object) -> bool:
    """Tell whether a loaded value stands for a text that could not be decrypted."""
    return isinstance(value, UnreadableText | UnreadableData)


@dataclass(frozen=True, slots=True)
class UnreadableReport:
    """One stored value that could not be decrypted (no text: only where, and why)."""

    table: str
    column: str
    row: Any
    owner: Any
    key_id: str | None
    reason: str


UnreadableListener = Callable[[UnreadableReport], None]


def unreadable_info() -> dict[str, Any]:
    """Session `info` with an (empty) list of listeners for unreadable values.

    Sessions made by one factory share the list (a sessionmaker copies `info` shallowly),
    so `listen_for_unreadable` reaches all of them.
    """
    return {_LISTENERS: []}


def listen_for_unreadable(
    sessions: async_sessionmaker[AsyncSession], listener: UnreadableListener
) -> None:
    """Have `listener` hear of every unreadable value loaded through these sessions."""
    info: dict[str, Any] = sessions.kw.setdefault("info", {})
    info.setdefault(_LISTENERS, []).append(listener)


def report_unreadable(session: Session | None, report: UnreadableReport) -> None:
    """Log `report` (never any text) and tell the listeners of `session`'s factory."""
    log.warning(
        "unreadable text in %s.%s, row %s of member %s (key %s): %s",
        report.table,
        report.column,
        report.row,
        report.owner,
        report.key_id or "none",
        report.reason,
    )
    listeners: list[UnreadableListener] = (
        [] if session is None else session.info.get(_LISTENERS, [])
    )
    for listener in listeners:
        listener(report)
