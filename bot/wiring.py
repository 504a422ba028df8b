"""Opening and closing what a running bot needs: database engine, sessions, runtime."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, SystemClock
from bot.domain.known_members import KnownMembers
from bot.domain.runtime import Runtime
from bot.settings import Settings
from content.cards import load_cards
from storage.crypto import FieldCipher, configure_cipher
from storage.engine import create_engine, create_session_factory
from storage.schema_version import is_at_head

__all__ = ["configure_encryption", "open_runtime", "runtime_on"]

log = logging.getLogger("netcoach")


def configure_encryption(settings: Settings, *, warn_without_key: bool = True) -> None:
    """Encrypt free text at rest with the configured key (or say once that it is not)."""
    if settings.encryption_key is None:
        configure_cipher(None)
        if warn_without_key:
            log.warning(
                "NETCOACH_ENCRYPTION_KEY is not set: members' texts are stored unencrypted "
                "(create a key with `netcoach keys generate`)"
            )
        return
    configure_cipher(FieldCipher.from_setting(settings.encryption_key.get_secret_value()))


def runtime_on(engine: AsyncEngine, settings: Settings, clock: Clock) -> Runtime:
    """The runtime on an open engine: sessions, and the members kept at hand if any."""
    size = settings.remembered_members
    known = KnownMembers(size) if size else None
    return Runtime(
        sessions=create_session_factory(
            engine, on_members_changed=None if known is None else known.forget
        ),
        clock=clock,
        settings=settings,
        curriculum=load_cards(),
        known_members=known,
    )


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    clock: Clock | None = None,
    *,
    migrate: bool = True,
    warn_without_key: bool = True,
) -> AsyncIterator[Runtime]:
    """Upgrade the database if asked, load and validate the cards, and yield a runtime.

    The engine is disposed when the block ends.
    """
    configure_encryption(settings, warn_without_key=warn_without_key)
    engine = create_engine(settings.database_url)
    try:
        if migrate and not await is_at_head(engine):
            # Only now: Alembic costs start-up time and memory that a current database
            # does not need.
            from storage.migrate import upgrade_database

            await upgrade_database(settings.database_url)
        yield runtime_on(engine, settings, clock or SystemClock())
    finally:
        await engine.dispose()
