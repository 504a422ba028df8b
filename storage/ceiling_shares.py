"""The shares of Telegram's ceilings that processes hold (`CeilingShare` rows).

Share changes take turns: every transaction that changes them first calls
`lock_ceiling_shares`, which on PostgreSQL takes a transaction-level advisory lock and on
SQLite relies on the transaction's `BEGIN IMMEDIATE` (the write lock), so the rows it
then reads stay as they are until it commits.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CeilingShare
from storage.upsert import dialect_insert

__all__ = [
    "CEILING_LOCK_ID",
    "ceiling_shares",
    "forget_lapsed_shares",
    "lock_ceiling_shares",
    "put_ceiling_share",
]

# The advisory lock key of share changes on PostgreSQL ("ceiling" in ASCII); the
# migrations' key differs.
CEILING_LOCK_ID = 0x6365696C696E67


async def lock_ceiling_shares(session: AsyncSession) -> datetime:
    """Wait for the turn to change shares (held until the transaction ends); the time now.

    The time is the database server's on PostgreSQL (processes on several hosts compare
    their leases on one clock) and this machine's on SQLite (every process on one file
    runs on one machine).
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CEILING_LOCK_ID})
        now = await session.scalar(select(func.clock_timestamp()))
        assert isinstance(now, datetime)
        return now.astimezone(UTC)
    # The first statement opens the transaction (BEGIN IMMEDIATE: the write lock).
    await session.execute(text("SELECT 1"))
    return datetime.now(UTC)


async def ceiling_shares(session: AsyncSession, ceiling: str) -> list[CeilingShare]:
    """Every holder's row for `ceiling`."""
    rows = await session.execute(select(CeilingShare).where(CeilingShare.ceiling == ceiling))
    return list(rows.scalars())


async def put_ceiling_share(
    session: AsyncSession,
    holder: str,
    ceiling: str,
    *,
    held: int,
    reserved: int,
    demand: int,
    expires_at: datetime,
) -> None:
    """Write `holder`'s share of `ceiling` (a new row or the one it had)."""
    values = {"held": held, "reserved": reserved, "demand": demand, "expires_at": expires_at}
    insert = dialect_insert(session)
    statement = insert(CeilingShare).values(holder=holder, ceiling=ceiling, **values)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["holder", "ceiling"], set_=values)
    )


async def forget_lapsed_shares(session: AsyncSession, before: datetime) -> None:
    """Delete the rows of leases that ended before `before` (processes gone for good)."""
    await session.execute(delete(CeilingShare).where(CeilingShare.expires_at < before))
