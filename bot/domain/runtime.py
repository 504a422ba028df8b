"""What every domain call needs: a way to open a session, the clock and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.settings import Settings
from content.cards import Curriculum

if TYPE_CHECKING:
    from bot.domain.known_members import KnownMembers

__all__ = ["Runtime"]


@dataclass(frozen=True, slots=True)
class Runtime:
    """Shared, long-lived services; a domain call opens its own session from `sessions`."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    settings: Settings
    curriculum: Curriculum
    # Members this process has seen lately (None: every answer reads the database).
    known_members: KnownMembers | None = None
