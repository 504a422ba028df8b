"""Scheduling in batches, where one broken row is set aside instead of failing the batch.

Prompts, follow-ups and check-ins are scheduled set-based: one transaction claims the
due rows and handles them all. A row with data that no screen of the bot would write
(a time zone the time zone database does not know, a slot out of range) makes that
transaction fail. Then, and only then, the batch runs again with each row in a
savepoint of its own: a row that fails is rolled back alone, its due moment is moved
`SCHEDULE_FAULT_PAUSE` on (so it is not tried at every tick, and is tried again once its
data may have been mended), and the others are scheduled.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.runtime import Runtime

__all__ = [
    "SCHEDULE_FAULT_PAUSE",
    "Postpone",
    "RowGuard",
    "ScheduleFault",
    "schedule_isolated",
]

# How long a row that could not be scheduled waits before it is tried again.
SCHEDULE_FAULT_PAUSE = timedelta(minutes=10)
# How many of the rows set aside one log line names.
_NAMED_IN_LOG = 5

log = logging.getLogger("netcoach.dispatcher")

T = TypeVar("T")

# Moves one row's due moment (by its id) to the given moment.
Postpone = Callable[[AsyncSession, int, datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ScheduleFault:
    """One row that could not be scheduled: what it is, its id and what went wrong."""

    subject: str
    row_id: int
    problem: BaseException

    def __str__(self) -> str:
        """The subject, its id and the exception's type: never a member's text."""
        return f"{self.subject} {self.row_id}: {type(self.problem).__name__}"


class _Row(Protocol):
    @property
    def id(self) -> int: ...


class RowGuard(Protocol):
    """How a batch handles one of its rows: trusting it, or in a savepoint of its own."""

    async def row(
        self, subject: str, row: _Row, postpone: Postpone, step: Awaitable[T]
    ) -> T | None:
        """Run `step` for one row; None when the row was set aside."""
        ...


class _Trusting:
    """The normal case: every row in the batch's one transaction, no savepoint."""

    async def row(
        self, subject: str, row: _Row, postpone: Postpone, step: Awaitable[T]
    ) -> T | None:
        del subject, row, postpone
        return await step


class _Guarded:
    """After the batch failed: each row in a savepoint; a failing row is set aside."""

    def __init__(self, session: AsyncSession, until: datetime) -> None:
        self.session = session
        self.until = until
        self.faults: list[ScheduleFault] = []

    async def row(
        self, subject: str, row: _Row, postpone: Postpone, step: Awaitable[T]
    ) -> T | None:
        row_id = row.id
        try:
            async with self.session.begin_nested():
                result = await step
                await self.session.flush()
                return result
        except Exception as problem:
            # The savepoint undid what the row wrote; what it changed in memory goes too.
            self.session.expire(row)
            await postpone(self.session, row_id, self.until)
            self.faults.append(ScheduleFault(subject, row_id, problem))
            return None


async def schedule_isolated(
    runtime: Runtime,
    batch: Callable[[AsyncSession, RowGuard], Awaitable[int]],
    on_fault: Callable[[ScheduleFault], object] | None = None,
    *,
    ahead: timedelta = timedelta(0),
) -> int:
    """Run `batch` in one transaction; if it fails, once more with every row guarded.

    Returns what `batch` returns. An error the guarded run meets outside any row (the
    database is down) is raised as usual. `batch` claims rows due up to `ahead` from
    now, so a row set aside waits `SCHEDULE_FAULT_PAUSE` beyond that.
    """
    try:
        async with runtime.sessions.begin() as session:
            return await batch(session, _Trusting())
    except Exception as problem:
        failed = type(problem).__name__
    async with runtime.sessions.begin() as session:
        guard = _Guarded(session, runtime.clock.now() + ahead + SCHEDULE_FAULT_PAUSE)
        handled = await batch(session, guard)
    if not guard.faults:
        log.warning("scheduling failed (%s), then went through row by row", failed)
    else:
        named = ", ".join(str(fault) for fault in guard.faults[:_NAMED_IN_LOG])
        more = len(guard.faults) - _NAMED_IN_LOG
        log.warning(
            "scheduling: %d set aside for %s: %s%s",
            len(guard.faults),
            SCHEDULE_FAULT_PAUSE,
            named,
            f" and {more} more" if more > 0 else "",
        )
    if on_fault is not None:
        for fault in guard.faults:
            on_fault(fault)
    return handled
