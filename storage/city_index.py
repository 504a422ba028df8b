"""The city index file: a small read-only SQLite database of reference data.

It holds cities (population, IANA zone, label) under their normalised name keys, and the
IANA zone names under their case-folded spelling. It is written once, from start to end,
into a temporary file that is then renamed over the final name, so a reader never sees a
half-written index and two processes writing at once simply leave one of two equal
files. It is never opened for writing afterwards, which lets readers skip SQLite's file
locking altogether. This is not the members' database; nothing here is about members.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

__all__ = [
    "FORMAT_VERSION",
    "CityIndexReader",
    "CityRow",
    "IndexedCity",
    "write_city_index",
]

# Raise when the tables or the meaning of a key change: a new file name, a new build.
FORMAT_VERSION = 1

# Pages SQLite may keep per connection (negative: KiB). Lookups touch a few pages each;
# the rest stays in the operating system's page cache, outside the process.
_CACHE_KIB = 256

_SCHEMA = """
CREATE TABLE cities (
    id INTEGER PRIMARY KEY,
    population INTEGER NOT NULL,
    zone TEXT NOT NULL,
    label TEXT NOT NULL
);
CREATE TABLE names (
    key TEXT NOT NULL,
    city INTEGER NOT NULL REFERENCES cities (id),
    own INTEGER NOT NULL,
    PRIMARY KEY (key, city)
) WITHOUT ROWID;
CREATE TABLE zones (
    folded TEXT PRIMARY KEY,
    name TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class IndexedCity:
    """A city as it goes into the index: its keys, and which of them its own name gives."""

    population: int
    zone: str
    label: str
    own_name_keys: frozenset[str]
    other_keys: frozenset[str]


@dataclass(frozen=True, slots=True)
class CityRow:
    """A city found under one of the keys asked for."""

    population: int
    zone: str
    label: str
    by_own_name: bool


def write_city_index(
    path: Path, cities: Iterable[IndexedCity], zone_names: Iterable[str], *, version: str
) -> None:
    """Write a complete index to `path` atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        with contextlib.closing(sqlite3.connect(temporary)) as db:
            db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
            with db:
                for number, city in enumerate(cities, start=1):
                    db.execute(
                        "INSERT INTO cities VALUES (?, ?, ?, ?)",
                        (number, city.population, city.zone, city.label),
                    )
                    db.executemany(
                        "INSERT INTO names VALUES (?, ?, ?)",
                        [(key, number, 1) for key in city.own_name_keys]
                        + [(key, number, 0) for key in city.other_keys - city.own_name_keys],
                    )
                db.executemany(
                    "INSERT OR IGNORE INTO zones VALUES (?, ?)",
                    ((name.casefold(), name) for name in zone_names),
                )
                db.execute("INSERT INTO meta VALUES ('version', ?)", (version,))
            db.execute("VACUUM")
        # Durable before it becomes visible: a crash leaves the old name or the whole file.
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


class CityIndexReader:
    """Lookups in one index file, over one read-only connection opened on first use.

    Lookups come from worker threads (`asyncio.to_thread`), so the connection is shared
    under a lock; each lookup takes microseconds.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            # immutable=1: the file never changes once written, so no locks and no journal.
            uri = f"file:{quote(str(self.path))}?mode=ro&immutable=1"
            db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            try:
                db.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
                db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
            except sqlite3.Error:
                db.close()
                raise
            self._db = db
        return self._db

    def version(self) -> str | None:
        """The version the file was written with (None if it has none)."""
        with self._lock:
            row = self._connection().execute("SELECT value FROM meta WHERE name = 'version'")
            found = row.fetchone()
        return None if found is None else str(found[0])

    def cities(self, keys: Iterable[str]) -> list[CityRow]:
        """Every city listed under any of `keys`, largest first (then by label and zone)."""
        wanted = sorted(set(keys))
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        query = (
            "SELECT c.population, c.zone, c.label, MAX(n.own) FROM names AS n "
            f"JOIN cities AS c ON c.id = n.city WHERE n.key IN ({marks}) "
            "GROUP BY c.id ORDER BY c.population DESC, c.label, c.zone"
        )
        with self._lock:
            rows = self._connection().execute(query, wanted).fetchall()
        return [CityRow(int(p), str(z), str(label), bool(own)) for p, z, label, own in rows]

    def zone_name(self, folded: str) -> str | None:
        """The IANA zone spelled `folded` in any case ("europe/berlin" -> "Europe/Berlin")."""
        with self._lock:
            row = self._connection().execute("SELECT name FROM zones WHERE folded = ?", (folded,))
            found = row.fetchone()
        return None if found is None else str(found[0])

    def close(self) -> None:
        """Close the connection (the next lookup opens it again)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
