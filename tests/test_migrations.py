"""Migrations build exactly the schema the models describe and never lose a row or a link.

The upgrade tests fill a database at every old revision with linked rows (built from the
tables as they were at that revision, so a new revision is covered without new test
code), upgrade it to the newest revision and compare every row and every link.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Column, Connection, Enum, MetaData, Table, select

from storage.engine import create_engine
from storage.migrate import MIGRATIONS_DIR, BrokenLinksError, alembic_config, upgrade_database
from storage.models import Base
from tests.support.databases import (
    create_empty_postgres_database,
    drop_postgres_database,
    postgres_url,
)

_SCRIPTS = ScriptDirectory.from_config(alembic_config())
HEAD = _SCRIPTS.get_current_head()
# Oldest first; every revision but the newest is one an operator's database may be at.
OLD_REVISIONS = [revision.revision for revision in reversed(list(_SCRIPTS.walk_revisions()))][:-1]
ROWS_PER_TABLE = 2
A_MOMENT = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)

Snapshot = dict[str, list[dict[str, Any]]]


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    server = postgres_url()
    if server is None:
        pytest.skip("PostgreSQL tests need NETCOACH_TEST_POSTGRES_URL (set by .ci/run)")
    url = asyncio.run(create_empty_postgres_database(server))
    yield url
    asyncio.run(drop_postgres_database(server, url))


def _value(table: Table, index: int, column: Column[Any]) -> Any:
    """A plausible value for a column that is neither a key nor a link."""
    name = column.name
    model = Base.metadata.tables.get(table.name)
    if model is not None and name in model.c and isinstance(model.c[name].type, Enum):
        return model.c[name].type.enums[index % len(model.c[name].type.enums)]
    if isinstance(column.type, JSON):
        return {"step": index}
    python_type = column.type.python_type
    if python_type is bool:
        return True
    if python_type is int:
        return index + 1
    if python_type is str:
        length = getattr(column.type, "length", None) or 64
        return f"{table.name}.{name}#{index}"[-length:]
    if python_type is datetime:
        return A_MOMENT
    raise AssertionError(f"teach the migration test a value for {table.name}.{name}")


def _fill(connection: Connection) -> Snapshot:
    """Insert linked rows into every table as it is now; return what went in, per table."""
    metadata = MetaData()
    metadata.reflect(connection)
    metadata.remove(metadata.tables["alembic_version"])
    rows: Snapshot = {}
    for number, table in enumerate(metadata.sorted_tables):
        rows[table.name] = []
        for index in range(ROWS_PER_TABLE):
            row: dict[str, Any] = {}
            for column in table.columns:
                links = list(column.foreign_keys)
                if links:  # every link set, nullable or not: those are what a rebuild loses
                    target = links[0].column
                    row[column.name] = rows[target.table.name][index][target.name]
                elif column.primary_key and column.type.python_type is int:
                    row[column.name] = 100 * (number + 1) + index
                else:
                    row[column.name] = _value(table, index, column)
            rows[table.name].append(row)
        connection.execute(table.insert(), rows[table.name])
    return _snapshot(connection, {name: list(rows[name][0]) for name in rows})


def _snapshot(connection: Connection, columns: dict[str, list[str]]) -> Snapshot:
    """Every row of the given tables, with the given columns, in primary-key order."""
    metadata = MetaData()
    metadata.reflect(connection, only=list(columns))
    snapshot: Snapshot = {}
    for name, names in columns.items():
        table = metadata.tables[name]
        query = select(*(table.c[n] for n in names)).order_by(*table.primary_key.columns)
        snapshot[name] = [dict(row._mapping) for row in connection.execute(query)]
    return snapshot


async def _run(url: str, work: Any, *args: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work, *args)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("revision", OLD_REVISIONS)
async def test_upgrading_a_database_from_an_old_revision_keeps_every_row_and_link(
    empty_database_url: str, revision: str
) -> None:
    await upgrade_database(empty_database_url, revision)
    before: Snapshot = await _run(empty_database_url, _fill)
    links = [
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        if table.name in before
        for column in table.columns
        if column.foreign_keys and column.name in before[table.name][0]
    ]
    assert links, "the old revision must have links to lose"
    assert all(row[c] is not None for t, c in links for row in before[t])

    await upgrade_database(empty_database_url)

    after: Snapshot = await _run(
        empty_database_url, _snapshot, {t: list(r[0]) for t, r in before.items()}
    )
    changed = [
        f"{table}.{column} of row {number}: {value!r} -> {row_after.get(column)!r}"
        for table, rows in before.items()
        for number, (row, row_after) in enumerate(zip(rows, after[table], strict=False))
        for column, value in row.items()
        if row_after.get(column) != value
    ]
    assert changed == [], f"upgrading from {revision} to {HEAD} changed rows"
    assert {t: len(r) for t, r in after.items()} == {t: len(r) for t, r in before.items()}


def test_every_old_revision_is_tested() -> None:
    assert HEAD not in OLD_REVISIONS
    assert len(OLD_REVISIONS) == len(list(_SCRIPTS.walk_revisions())) - 1 >= 4


REBUILD_USERS = f'''"""A later migration that rebuilds the members' table.

Revision ID: rebuild_users
Revises: {HEAD}
"""

from alembic import op

revision = "rebuild_users"
down_revision = "{HEAD}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", recreate="always"):
        pass
'''


# Only SQLite rebuilds a table to change it; PostgreSQL alters it in place.
async def test_a_later_migration_that_rebuilds_the_members_table_keeps_all_their_data(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'netcoach.db'}"
    await upgrade_database(url)
    before: Snapshot = await _run(url, _fill)
    later = tmp_path / "versions"
    later.mkdir()
    (later / "rebuild_users.py").write_text(REBUILD_USERS, encoding="utf-8")
    config = alembic_config()
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations", os.pathsep.join(map(str, (MIGRATIONS_DIR / "versions", later)))
    )

    await upgrade_database(url, "rebuild_users", config=config)

    after: Snapshot = await _run(url, _snapshot, {t: list(r[0]) for t, r in before.items()})
    assert after == before


async def test_an_upgrade_that_would_leave_a_link_broken_fails_and_changes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "netcoach.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_database(url, "0002")
    await _run(url, _fill)
    # A link broken before the upgrade (foreign keys off, as in an old hand-edited file).
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("UPDATE reflections SET delivery_id = 999 WHERE id = 400")

    with pytest.raises(BrokenLinksError, match=r"reflections -> deliveries \(1 row\(s\)\)"):
        await upgrade_database(url)

    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("0002",)
        ]
        columns = {row[1] for row in connection.execute("PRAGMA table_info(deliveries)")}
        assert "commitment_id" not in columns, "the failed upgrade's changes were rolled back"
