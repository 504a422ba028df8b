"""Apply Alembic migrations from inside the package (`netcoach db upgrade`, `run`, `chat`).

Several processes may start at once on one database (a bot and its dispatch workers
after a deploy). Upgrades are serialised across processes, so one migrates and the
others wait, then find the database at head and go on: on PostgreSQL with an advisory
lock held by the migrating transaction itself, on SQLite with a lock on a file beside
the database (`<database>.migrate-lock`), which, unlike SQLite's busy timeout, waits
for as long as the first upgrade takes.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine, is_sqlite

if TYPE_CHECKING:
    # Imported where used: `netcoach` catches BrokenLinksError from here at every start,
    # and a database that is already current never needs Alembic.
    from alembic.config import Config

__all__ = [
    "MIGRATIONS_DIR",
    "MIGRATION_LOCK_ID",
    "BrokenLinksError",
    "alembic_config",
    "check_links",
    "migration_engine",
    "upgrade_database",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The advisory lock key of migrations on PostgreSQL: any fixed 64-bit number that no
# other lock of ours uses ("netcoach" in ASCII).
MIGRATION_LOCK_ID = 0x6E6574636F616368


class _OnlyUpgrades(logging.Filter):
    """Alembic's "Context impl" and "Will assume" lines come at every start and say nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Context impl", "Will assume"))


# Every `netcoach run` migrates; only an upgrade actually run is worth a log line.
logging.getLogger("alembic.runtime.migration").addFilter(_OnlyUpgrades())


class BrokenLinksError(RuntimeError):
    """An upgrade left rows pointing at rows that do not exist; nothing was changed."""


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migration_engine(url: str) -> AsyncEngine:
    """An engine for migrations: on SQLite with foreign keys off.

    SQLite changes a table by copying it into a new one and dropping the old one. With
    foreign keys on, that drop deletes (ON DELETE CASCADE) or unlinks (SET NULL) every
    row pointing at the old table: a rebuild of `deliveries` emptied
    `reflections.delivery_id`, one of `users` would take every member's data with it.
    SQLite ignores the pragma inside a transaction, so it is set as each connection
    opens, after the engine's own "foreign keys on"; `check_links` checks afterwards.
    """
    engine = create_engine(url)
    if is_sqlite(url):

        @event.listens_for(engine.sync_engine, "connect")
        def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.close()

    return engine


def check_links(connection: Connection) -> None:
    """Raise `BrokenLinksError` if any row points at a row that does not exist (SQLite).

    PostgreSQL checks every link as it goes; SQLite does not while migrations run with
    foreign keys off, so the upgrade asks it once at the end, inside its transaction.
    """
    if connection.dialect.name != "sqlite":
        return
    broken: dict[tuple[str, str], int] = {}
    for table, _rowid, parent, _fk in connection.exec_driver_sql("PRAGMA foreign_key_check"):
        broken[(table, parent)] = broken.get((table, parent), 0) + 1
    if broken:
        links = ", ".join(f"{t} -> {p} ({n} row(s))" for (t, p), n in sorted(broken.items()))
        raise BrokenLinksError(
            f"the upgrade would leave rows pointing at nothing: {links}; nothing was changed"
        )


async def upgrade_database(
    url: str, revision: str = "head", *, config: Config | None = None
) -> None:
    """Bring the database at `url` up to `revision`, in one transaction.

    `config` (default `alembic_config()`) may name further version locations.
    """
    engine = migration_engine(url)
    try:
        async with _sqlite_file_lock(url), engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Held until this transaction ends: whoever waits here then reads the
                # version the first one committed.
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_ID}
                )
            await connection.run_sync(_upgrade, revision, config or alembic_config())
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, revision: str, config: Config) -> None:
    config.attributes["connection"] = connection
    from alembic import command

    command.upgrade(config, revision)


def _lock_path(url: str) -> Path | None:
    """The lock file beside a SQLite database file (None for PostgreSQL or in memory)."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    file = Path(database).expanduser().absolute()
    return file.with_name(file.name + ".migrate-lock")


@asynccontextmanager
async def _sqlite_file_lock(url: str) -> AsyncIterator[None]:
    """Hold an exclusive lock on `<database>.migrate-lock` (SQLite files only)."""
    path = _lock_path(url)
    if path is None:
        yield
        return
    with path.open("a") as lock_file:
        # Waiting blocks a thread, never the event loop.
        await asyncio.to_thread(fcntl.flock, lock_file.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
