"""Whether the configured database can be used at all, said in words an operator can act on.

`netcoach run`, `db upgrade`, `report` and `keys rotate` check this first, so a database
that is down, a wrong password or a SQLite file in a missing directory stops start-up in
one line (naming host, port, database and user, never the password) instead of a
traceback from deep inside the driver.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from storage.engine import create_engine, is_sqlite, ping

__all__ = ["CONNECT_TIMEOUT_SECONDS", "DatabaseUnavailable", "check_database"]

# How long the check waits for PostgreSQL to answer (asyncpg's own default is a minute).
CONNECT_TIMEOUT_SECONDS = 10.0

# PostgreSQL's SQLSTATE codes for what an operator can fix.
_REFUSED_LOGIN = ("28000", "28P01")  # no such role / wrong password, or not allowed in
_NO_SUCH_DATABASE = "3D000"
_TOO_MANY_CONNECTIONS = "53300"
_STARTING_UP = ("57P03",)


class DatabaseUnavailable(Exception):
    """The database cannot be used; the message says what to check (never a password)."""


async def check_database(url: str, *, timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
    """Open the database once; raise `DatabaseUnavailable` saying what to check if that fails.

    PostgreSQL: connect (waiting at most `timeout`) and run a trivial statement. SQLite:
    the file and its directory must be writable (the journal files go beside it) and the
    file, if there, a database; no lock is taken, so a migration running in another
    process does not make this wait.
    """
    parsed = make_url(url)
    if is_sqlite(url):
        await _check_sqlite(parsed)
        return
    engine = create_engine(url, connect_args={"timeout": timeout})
    try:
        async with engine.connect() as connection:
            await ping(connection)
    except (OSError, DBAPIError) as problem:
        raise DatabaseUnavailable(_explain(parsed, problem, timeout)) from None
    finally:
        await engine.dispose()


def _sqlite_file(url: URL) -> Path | None:
    """The SQLite file of `url`, or None for an in-memory database or a `file:` URI."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser().absolute()


async def _check_sqlite(url: URL) -> None:
    path = _sqlite_file(url)
    if path is None:
        return
    directory = path.parent
    if not directory.is_dir():
        raise DatabaseUnavailable(
            f"the directory {directory} of the SQLite file does not exist: "
            "create it or correct the path"
        )
    if path.is_dir():
        raise DatabaseUnavailable(f"{path} is a directory; give the path of a file in it")
    # The write-ahead log and its index are files beside the database.
    if not os.access(directory, os.W_OK | os.X_OK) or (
        path.exists() and not os.access(path, os.R_OK | os.W_OK)
    ):
        raise DatabaseUnavailable(_sqlite_advice(path, "permission denied"))
    try:
        await asyncio.to_thread(_open_sqlite, path)
    except sqlite3.Error as problem:
        raise DatabaseUnavailable(_sqlite_advice(path, _first_line(problem))) from None


def _open_sqlite(path: Path) -> None:
    """Open the file (creating it if missing) and read its header."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchall()
    finally:
        connection.close()


def _sqlite_advice(path: Path, reason: str) -> str:
    if reason == "file is not a database":
        return f"{path} is not a SQLite database: check the path"
    return (
        f"cannot open the SQLite file {path} for writing ({reason}): check that the file "
        "and its directory are writable by this user and the disk is not full"
    )


def _explain(url: URL, problem: BaseException, timeout: float) -> str:
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    if isinstance(problem, socket.gaierror):
        return f"the host {url.host!r} is unknown: check the host name"
    if isinstance(problem, TimeoutError):
        return (
            f"no answer from {where} within {timeout:g} s: check the host, the port and any "
            "firewall between"
        )
    if isinstance(problem, ConnectionRefusedError):
        return f"nothing answers at {where}: check that PostgreSQL runs there and the port"
    if isinstance(problem, OSError):
        return f"cannot connect to {where} ({problem.strerror or problem}): check host and port"
    code = getattr(getattr(problem, "orig", None), "sqlstate", None)
    if code in _REFUSED_LOGIN:
        return (
            f"PostgreSQL at {where} refused user {url.username!r}: check the user name and "
            "password (and pg_hba.conf)"
        )
    if code == _NO_SUCH_DATABASE:
        return f"there is no database {url.database!r} at {where}: create it or correct the name"
    if code == _TOO_MANY_CONNECTIONS:
        return f"PostgreSQL at {where} has no free connection: check max_connections"
    if code in _STARTING_UP:
        return f"PostgreSQL at {where} is starting up or shutting down: try again shortly"
    return f"cannot use the database at {where} ({_first_line(problem)})"


def _first_line(problem: BaseException) -> str:
    """The driver's own message, without SQLAlchemy's statement and background lines."""
    origin = getattr(problem, "orig", None) or problem
    text = str(origin).strip().splitlines()
    return text[0] if text else type(origin).__name__
