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
from sqlalchemy.engine import make_url

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
    """Empty every table and restart every id (PostgreSQL), so each test starts from nothing.

    DELETE rather than TRUNCATE: a TRUNCATE makes new files for each table and index, and
    took several times as long on tables that hold a few rows (0.4-1.7 s against 0.15 s).
    Children go before their parents; one statement, on a plain connection.
    """
    deletes = " ".join(
        f'DELETE FROM "{table.name}";' for table in reversed(Base.metadata.sorted_tables)
    )
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(
            f"""DO $$
            DECLARE sequence regclass;
            BEGIN
                {deletes}
                FOR sequence IN SELECT oid::regclass FROM pg_class WHERE relkind = 'S' LOOP
                    EXECUTE format('ALTER SEQUENCE %s RESTART', sequence);
                END LOOP;
            END $$"""
        )
    finally:
        await connection.close()


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
