"""Engine and session setup for SQLite (embedded default) and PostgreSQL (scale path)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from storage import sqlite_driver
from storage.conversations import DraftCutoff, drafts_info
from storage.member_changes import MembersChanged, NotifyingSession, notifying_info
from storage.unreadable import unreadable_info

__all__ = [
    "READ_ONLY",
    "SQLITE_BUSY_TIMEOUT_MS",
    "create_engine",
    "create_session_factory",
    "is_sqlite",
    "ping",
    "reading",
]

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Execution option of connections that only read, one statement at a time (`reading`):
# on SQLite they open no transaction, so they never wait for or take the write lock.
READ_ONLY = "netcoach_read_only"


def is_sqlite(url: str) -> bool:
    """Tell whether a database URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create an async engine tuned for its backend.

    SQLite: WAL journal, a busy timeout, foreign keys on, and every transaction
    that may write opened with `BEGIN IMMEDIATE` so two writers queue on the lock
    instead of failing on an upgrade from a read lock (connections with the
    `READ_ONLY` option open none); aiosqlite with one thread hop per statement
    (`storage.sqlite_driver`). PostgreSQL: connections are pinged before use so a
    server restart is survived. Both: a failed statement's error message leaves out its
    parameters (members' words), since errors are logged with their tracebacks.
    """
    kwargs.setdefault("hide_parameters", True)
    if is_sqlite(url):
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("async_creator_fn", sqlite_driver.connect)
        engine = _create_async_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return _create_async_engine(url, **kwargs)


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so "begin" below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A single read needs no transaction of its own: SQLite runs the statement on
        # the latest committed data, with no lock to wait for or to take.
        if not connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(
    engine: AsyncEngine,
    *,
    on_members_changed: MembersChanged | None = None,
    drafts_expire_before: DraftCutoff | None = None,
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit (no lazy reloads in async code).

    `on_members_changed` hears which members' rows the sessions change
    (`storage.member_changes`); drafts last touched before `drafts_expire_before()`
    expire when read (`storage.conversations`); listeners for unreadable texts are
    added with `storage.encrypted.listen_for_unreadable`.
    """
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        sync_session_class=NotifyingSession,
        info={
            **notifying_info(on_members_changed),
            **drafts_info(drafts_expire_before),
            **unreadable_info(),
        },
    )


@asynccontextmanager
async def reading(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncConnection]:
    """A connection for single reads, outside any transaction of its own.

    Each statement sees the latest committed data: on SQLite without waiting for, or
    taking, the write lock; on PostgreSQL without a BEGIN and ROLLBACK round trip.
    """
    engine: AsyncEngine = sessions.kw["bind"]  # the engine the factory was made for
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            yield await connection.execution_options(**{READ_ONLY: True})
        else:
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")


async def ping(connection: AsyncConnection) -> None:
    """Raise unless the database answers the most trivial statement."""
    await connection.execute(text("SELECT 1"))
