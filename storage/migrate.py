"""Apply Alembic migrations from inside the package (`netcoach db upgrade`, `run`, `chat`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine, is_sqlite

__all__ = [
    "MIGRATIONS_DIR",
    "BrokenLinksError",
    "alembic_config",
    "check_links",
    "migration_engine",
    "upgrade_database",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class BrokenLinksError(RuntimeError):
    """An upgrade left rows pointing at rows that do not exist; nothing was changed."""


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations."""
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
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, revision, config or alembic_config())
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, revision: str, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
