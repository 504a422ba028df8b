"""aiosqlite with one thread hop per statement instead of four.

aiosqlite runs every call on its connection's own thread and hands the result back to
the event loop: a hop costs two thread wake-ups and a loop wake-up (about 0.1 ms of CPU
on a small machine, more than the query itself). SQLAlchemy's adapter makes four hops
per statement (create a cursor, execute, fetch, close), and one each for a commit or
rollback even when SQLite has no transaction open (as when a connection goes back to
the pool after a commit). A short transaction thus cost nine hops, and that, not SQL,
was most of the time the bot spent per update.

This connection keeps aiosqlite (its thread, its queue, its error handling) and only
changes how much work one hop carries: a statement is prepared, executed, fetched and
closed in a single call on the connection's thread, and commit and rollback are skipped
when SQLite says no transaction is open (where sqlite3 would do nothing either).
Plugged in through SQLAlchemy's `async_creator_fn` connect argument, see
`storage.engine.create_engine`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

__all__ = ["OneHopConnection", "connect"]

_Description = tuple[tuple[str, None, None, None, None, None, None], ...] | None


class BufferedCursor:
    """A cursor whose statement runs, and whose rows arrive, in one hop."""

    arraysize = 1

    def __init__(self, connection: OneHopConnection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self._position = 0
        self.description: _Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> BufferedCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    def _take(self, result: tuple[list[Any], _Description, int, int | None]) -> None:
        self._rows, self.description, self.rowcount, self.lastrowid = result
        self._position = 0

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> BufferedCursor:
        """Run one statement and keep all of its rows."""
        self._take(await self._connection.run_statement(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> BufferedCursor:
        """Run one statement for many parameter sets (rows are not kept, as in sqlite3)."""
        self._take(await self._connection.run_statement(sql, parameters, many=True))
        return self

    async def fetchone(self) -> Any | None:
        """The next row, or None."""
        if self._position >= len(self._rows):
            return None
        self._position += 1
        return self._rows[self._position - 1]

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        """Up to `size` more rows."""
        end = self._position + (size or self.arraysize)
        rows = self._rows[self._position : end]
        self._position += len(rows)
        return rows

    async def fetchall(self) -> list[Any]:
        """All remaining rows."""
        rows = self._rows[self._position :]
        self._position = len(self._rows)
        return rows

    async def close(self) -> None:
        """Drop the buffered rows (the sqlite3 cursor was closed in its hop)."""
        self._rows = []
        self._position = 0


def _run(
    connection: sqlite3.Connection, sql: str, parameters: Any, many: bool
) -> tuple[list[Any], _Description, int, int | None]:
    """On the connection's thread: execute, fetch and close in one go."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        elif parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors make one hop per statement."""

    def cursor(self) -> BufferedCursor:  # type: ignore[override]
        """A cursor; nothing runs until it executes (SQLAlchemy enters it with `async with`)."""
        return BufferedCursor(self)

    async def run_statement(
        self, sql: str, parameters: Any, *, many: bool = False
    ) -> tuple[list[Any], _Description, int, int | None]:
        """Execute `sql` on the connection's thread and bring back rows and counts."""
        result: tuple[list[Any], _Description, int, int | None] = await self._execute(  # type: ignore[no-untyped-call]
            _run, self._conn, sql, parameters, many
        )
        return result

    async def commit(self) -> None:
        """Commit, unless SQLite has no transaction open (then there is nothing to do)."""
        if self._conn.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        """Roll back, unless SQLite has no transaction open (then there is nothing to do)."""
        if self._conn.in_transaction:
            await super().rollback()


def connect(database: str, **kwargs: Any) -> OneHopConnection:
    """Like `aiosqlite.connect`, returning a `OneHopConnection` (awaited by SQLAlchemy)."""

    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **kwargs)
        return connection

    connection = OneHopConnection(connector, iter_chunk_size=64)
    # As SQLAlchemy does for aiosqlite: a forgotten connection must not keep the process up.
    connection._thread.daemon = True
    return connection
