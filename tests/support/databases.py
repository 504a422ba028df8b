"""Test databases: a fresh migrated SQLite file per test, or a PostgreSQL database per session."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.engine import create_engine
from storage.migrate import upgrade_database
from storage.models import Base

__all__ = [
    "POSTGRES_ENV",
    "create_empty_postgres_database",
    "create_postgres_database",
    "drop_postgres_database",
    "own_database",
    "postgres_url",
    "truncate_all",
]

POSTGRES_ENV = "NETCOACH_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    """The server CI provides, or None when the PostgreSQL tests should skip."""
    return os.environ.get(POSTGRES_ENV) or None


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_empty_postgres_database(server_url: str) -> str:
    """Create a new database without any table on the server and return its URL."""
    name = f"netcoach_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def create_postgres_database(server_url: str) -> str:
    """Create a new, migrated database on the server and return its URL."""
    url = await create_empty_postgres_database(server_url)
    await upgrade_database(url)
    return url


async def drop_postgres_database(server_url: str, url: str) -> None:
    """Drop a database made by `create_postgres_database`."""
    name = make_url(url).database
    admin = await asyncpg.connect(_asyncpg_dsn(server_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def truncate_all(url: str) -> None:
    """Empty every table (PostgreSQL), so each test starts from nothing."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@contextmanager
def own_database(kind: str, directory: Path) -> Iterator[str]:
    """A migrated database of its own, for processes that outlive one test's transactions.

    `kind` "sqlite": a new file in `directory`; "postgres": a new database on the test
    server, dropped afterwards (the test skips without one). Call it outside a running
    event loop (from a synchronous fixture).
    """
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'netcoach.db'}"
        asyncio.run(upgrade_database(url))
        yield url
        return
    server = postgres_url()
    if server is None:
        pytest.skip("PostgreSQL tests need NETCOACH_TEST_POSTGRES_URL (set by .ci/run)")
    url = asyncio.run(create_postgres_database(server))
    try:
        yield url
    finally:
        asyncio.run(drop_postgres_database(server, url))
