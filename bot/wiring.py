"""Opening and closing what a running bot needs: database engine, sessions, runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.clock import Clock, SystemClock
from bot.domain.runtime import Runtime
from bot.settings import Settings
from content.cards import load_cards
from storage.engine import create_engine, create_session_factory
from storage.migrate import upgrade_database

__all__ = ["open_runtime"]


@asynccontextmanager
async def open_runtime(
    settings: Settings, clock: Clock | None = None, *, migrate: bool = True
) -> AsyncIterator[Runtime]:
    """Upgrade the database if asked, load and validate the cards, and yield a runtime.

    The engine is disposed when the block ends.
    """
    if migrate:
        await upgrade_database(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        yield Runtime(
            sessions=create_session_factory(engine),
            clock=clock or SystemClock(),
            settings=settings,
            curriculum=load_cards(),
        )
    finally:
        await engine.dispose()
