"""Alembic environment: runs on a connection handed in by `storage.migrate`, or on its own."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from storage.migrate import check_links, migration_engine
from storage.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        # Before the commit: a link lost on the way fails the upgrade and changes nothing.
        check_links(connection)


async def _run_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to Alembic")
    engine = migration_engine(url)
    async with engine.begin() as connection:  # one transaction, as in storage.migrate
        await connection.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_online())
