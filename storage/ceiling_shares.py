"""The shares of Telegram's ceilings that processes hold (`CeilingShare` rows).

Share changes take turns: every transaction that changes them first calls
`lock_ceiling_shares`, which on PostgreSQL takes a transaction-level advisory lock and on
SQLite relies on the transaction's `BEGIN IMMEDIATE` (the write lock), so the rows it
then reads stay as they are until it commits. A renewal is three statements and a
commit: the lock (with the time), the rows, the holder's new rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CeilingShare
from storage.upsert import dialect_insert

__all__ = [
    "CEILING_LOCK_ID",
    "ShareRow",
    "ceiling_shares",
    "forget_shares",
    "lock_ceiling_shares",
    "put_ceiling_shares",
]

# The advisory lock key of share changes on PostgreSQL ("ceiling" in ASCII); the
# migrations' key differs.
CEILING_LOCK_ID = 0x6365696C696E67

_COLUMNS = (
    CeilingShare.holder,
    CeilingShare.ceiling,
    CeilingShare.held,
    CeilingShare.reserved,
    CeilingShare.staying,
    CeilingShare.leaving,
    CeilingShare.demand,
    CeilingShare.renewed_at,
    CeilingShare.expires_at,
)
_UPDATED = ("held", "reserved", "staying", "leaving", "demand", "renewed_at", "expires_at")


@dataclass(frozen=True, slots=True)
class ShareRow:
    """One holder's share of one ceiling, as stored (`CeilingShare` says what each means)."""

    holder: str
    ceiling: str
    held: int
    reserved: int
    staying: int
    leaving: list[int]
    demand: int
    renewed_at: datetime
    expires_at: datetime


async def lock_ceiling_shares(session: AsyncSession) -> datetime:
    """Wait for the turn to change shares (held until the transaction ends); the time now.

    The time is the database server's on PostgreSQL (processes on several hosts compare
    their leases on one clock) and this machine's on SQLite (every process on one file
    runs on one machine).
    """
    if session.get_bind().dialect.name == "postgresql":
        now = (
            await session.execute(
                select(func.pg_advisory_xact_lock(CEILING_LOCK_ID), func.clock_timestamp())
            )
        ).one()[1]
        assert isinstance(now, datetime)
        return now.astimezone(UTC)
    # The first statement opens the transaction (BEGIN IMMEDIATE: the write lock).
    await session.execute(text("SELECT 1"))
    return datetime.now(UTC)


async def ceiling_shares(session: AsyncSession) -> list[ShareRow]:
    """Every holder's row of every ceiling."""
    rows = await session.execute(select(*_COLUMNS))
    return [ShareRow(*row) for row in rows]


async def put_ceiling_shares(session: AsyncSession, rows: Sequence[ShareRow]) -> None:
    """Write holders' shares (new rows, or over the ones they had)."""
    if not rows:
        return
    insert = dialect_insert(session)
    statement = insert(CeilingShare).values(
        [{column.key: getattr(row, column.key) for column in _COLUMNS} for row in rows]
    )
    excluded = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["holder", "ceiling"],
            set_={name: excluded[name] for name in _UPDATED},
        )
    )


async def forget_shares(session: AsyncSession, rows: Sequence[ShareRow]) -> None:
    """Delete rows (of processes gone for good)."""
    if rows:
        keys = [(row.holder, row.ceiling) for row in rows]
        await session.execute(
            delete(CeilingShare).where(tuple_(CeilingShare.holder, CeilingShare.ceiling).in_(keys))
        )
