"""What every domain call needs: a way to open a session, the clock and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.settings import Settings
from content.cards import Curriculum

__all__ = ["Runtime"]


@dataclass(frozen=True, slots=True)
class Runtime:
    """Shared, long-lived services; a domain call opens its own session from `sessions`."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    settings: Settings
    curriculum: Curriculum
