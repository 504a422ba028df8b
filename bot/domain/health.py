"""What the health check asks of the database: that it answers, and how many members it has."""

from __future__ import annotations

from bot.domain.runtime import Runtime
from storage.engine import ping, reading
from storage.models import UserStatus
from storage.stats import member_counts

__all__ = ["database_answers", "members_by_status"]


async def database_answers(runtime: Runtime) -> None:
    """Raise unless the database answers a trivial read (no transaction, no lock taken)."""
    async with reading(runtime.sessions) as connection:
        await ping(connection)


async def members_by_status(runtime: Runtime) -> dict[UserStatus, int]:
    """How many members are active, paused and blocked, read without taking a lock."""
    async with reading(runtime.sessions) as connection:
        return await member_counts(connection)
