"""The database's own INSERT (with ON CONFLICT …), loaded only for the database in use.

SQLAlchemy's PostgreSQL dialect (and asyncpg behind it) cost ~50 ms and ~3 MiB to import;
a bot on SQLite never needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert

__all__ = ["dialect_insert"]


def dialect_insert(session: AsyncSession) -> Callable[[Any], PostgresInsert | SqliteInsert]:
    """`insert` of the session's dialect: PostgreSQL's or SQLite's (both know ON CONFLICT)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert
