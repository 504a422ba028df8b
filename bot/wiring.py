"""Opening and closing what a running bot needs: database engine, sessions, runtime."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock, SystemClock
from bot.domain.known_members import KnownMembers
from bot.domain.runtime import Runtime
from bot.settings import Settings, SettingsError
from content.cards import load_cards
from storage.crypto import FieldCipher, configure_cipher, current_cipher
from storage.engine import create_engine, create_session_factory
from storage.keyring import sample_key_ring
from storage.schema_version import is_at_head

__all__ = ["check_key_ring", "configure_encryption", "key_ring", "open_runtime", "runtime_on"]

log = logging.getLogger("netcoach")


def key_ring(settings: Settings) -> FieldCipher | None:
    """Every configured key: NETCOACH_ENCRYPTION_KEY first (it writes), then the old ones."""
    if settings.encryption_key is None:
        return None
    old = settings.encryption_old_keys
    return FieldCipher.from_setting(
        settings.encryption_key.get_secret_value(), old.get_secret_value() if old else ""
    )


def configure_encryption(settings: Settings, *, warn_without_key: bool = True) -> None:
    """Encrypt free text at rest with the configured keys (or say once that it is not)."""
    ring = key_ring(settings)
    configure_cipher(ring)
    if ring is None and warn_without_key:
        log.warning(
            "NETCOACH_ENCRYPTION_KEY is not set: members' texts are stored unencrypted "
            "(create a key with `netcoach keys generate`)"
        )


async def check_key_ring(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Refuse a key ring that reads none of the newest stored texts; warn if it misses some.

    Raises:
        SettingsError: one line naming NETCOACH_ENCRYPTION_KEY and the keys needed.
    """
    ring = current_cipher()
    sample = await sample_key_ring(sessions, ring)
    if not sample.sampled or sample.readable == sample.sampled:
        return
    needed = ", ".join(sample.missing_keys) or "the same ids as configured, but other keys"
    if sample.readable == 0:
        if ring is None:
            raise SettingsError(
                [
                    f"NETCOACH_ENCRYPTION_KEY: not set, but the {sample.sampled} stored texts "
                    f"sampled are encrypted (key id {needed}); set the key they were written "
                    "with"
                ]
            )
        raise SettingsError(
            [
                f"NETCOACH_ENCRYPTION_KEY: this key reads none of the {sample.sampled} stored "
                f"texts sampled; they were written with key id {needed} (put that key in "
                "NETCOACH_ENCRYPTION_KEY or NETCOACH_ENCRYPTION_OLD_KEYS)"
            ]
        )
    log.warning(
        "encryption: %d of %d stored texts sampled cannot be read (written with key id %s, "
        "or tampered with); members see them as unreadable",
        sample.sampled - sample.readable,
        sample.sampled,
        needed,
    )


def runtime_on(engine: AsyncEngine, settings: Settings, clock: Clock) -> Runtime:
    """The runtime on an open engine: sessions, and the members kept at hand if any."""
    size = settings.remembered_members
    known = KnownMembers(size) if size else None

    def drafts_expire_before() -> datetime:
        return clock.now() - timedelta(days=settings.draft_days)

    return Runtime(
        sessions=create_session_factory(
            engine,
            on_members_changed=None if known is None else known.forget,
            drafts_expire_before=drafts_expire_before,
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
    """Upgrade the database if asked, check the keys against it, and yield a runtime.

    The engine is disposed when the block ends.

    Raises:
        SettingsError: the configured keys read none of the stored texts sampled.
    """
    configure_encryption(settings, warn_without_key=warn_without_key)
    engine = create_engine(settings.database_url)
    try:
        if migrate and not await is_at_head(engine):
            # Only now: Alembic costs start-up time and memory that a current database
            # does not need.
            from storage.migrate import upgrade_database

            await upgrade_database(settings.database_url)
        runtime = runtime_on(engine, settings, clock or SystemClock())
        await check_key_ring(runtime.sessions)
        yield runtime
    finally:
        await engine.dispose()
