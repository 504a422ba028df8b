"""What is installed is what was locked, and the audit says plainly what it could check.

`make` and CI install requirements.lock (hashes checked), the image installs
requirements-runtime.lock; `make audit` (tools/audit.py) runs pip-audit on the lock.
"""

from __future__ import annotations

import json
import re
import stat
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools import audit

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)")


def _pins(lock: str) -> dict[str, set[str]]:
    """Locked versions per package (a universal lock may pin one per Python version)."""
    pins: dict[str, set[str]] = {}
    for line in (ROOT / lock).read_text(encoding="utf-8").splitlines():
        found = _PIN.match(line)
        if found:
            pins.setdefault(canonicalize_name(found[1]), set()).add(found[2])
    return pins


def _entries(lock: str) -> list[str]:
    """Each locked requirement with its hash lines, as one block of text."""
    text = (ROOT / lock).read_text(encoding="utf-8")
    return [block for block in re.split(r"\n(?=[A-Za-z0-9])", text) if _PIN.match(block)]


RUNTIME = [Requirement(line) for line in PYPROJECT["project"]["dependencies"]]
TEST = [Requirement(line) for line in PYPROJECT["project"]["optional-dependencies"]["test"]]


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [("requirements.lock", RUNTIME + TEST), ("requirements-runtime.lock", RUNTIME)],
)
def test_every_dependency_is_locked_at_a_version_its_floor_allows(
    lock: str, requirements: list[Requirement]
) -> None:
    pins = _pins(lock)
    for requirement in requirements:
        versions = pins.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in {lock}: run `make lock`"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{lock} pins {requirement.name} {version}, outside {requirement.specifier}"
            )


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-runtime.lock"])
def test_every_locked_package_carries_its_hashes(lock: str) -> None:
    entries = _entries(lock)
    assert len(entries) > 40
    assert [entry.split()[0] for entry in entries if "--hash=sha256:" not in entry] == []


def test_the_image_gets_the_same_versions_as_the_tests_without_the_test_tools() -> None:
    full, runtime = _pins("requirements.lock"), _pins("requirements-runtime.lock")
    assert {name: full[name] for name in runtime} == runtime
    assert {"pytest", "mypy", "ruff", "hypothesis"} <= set(full) - set(runtime)


# --- the audit -----------------------------------------------------------------------


def _fake_pip_audit(tmp_path: Path, answers: dict[str, tuple[int, str, str]]) -> str:
    """A pip-audit stand-in answering per advisory source: exit code, stdout, stderr."""
    script = tmp_path / "pip-audit"
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import sys\n"
        f"answers = {answers!r}\n"
        "source = sys.argv[sys.argv.index('--vulnerability-service') + 1]\n"
        "assert '--require-hashes' in sys.argv and sys.argv[sys.argv.index('--requirement') + 1]\n"
        "code, out, err = answers[source]\n"
        "sys.stdout.write(out); sys.stderr.write(err); sys.exit(code)\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def _report(*dependencies: dict[str, object]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


UNREACHABLE_OSV = (
    1,
    "",
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): "
    "Max retries exceeded with url: /v1/query (Caused by NameResolutionError(...))\n",
)


def test_a_known_vulnerability_in_the_lock_fails_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vulnerable = {
        "name": "aiohttp",
        "version": "3.9.0",
        "vulns": [{"id": "CVE-2024-23334", "fix_versions": ["3.9.2"]}],
    }
    fake = _fake_pip_audit(
        tmp_path, {"pypi": (1, _report(vulnerable, {"name": "pyyaml", "vulns": []}), "")}
    )
    assert audit.main(["--pip-audit", fake, str(ROOT / "requirements.lock")]) == 1
    said = capsys.readouterr().err
    assert "aiohttp 3.9.0: CVE-2024-23334 (fixed in 3.9.2)" in said


def test_without_a_reachable_advisory_source_the_audit_says_nothing_was_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What this machine gets: PyPI's per-version JSON answers 404, OSV's host is unknown.
    skipped = {
        "name": "aiohttp",
        "skip_reason": "Dependency not found on PyPI and could not be audited: aiohttp (3.14.5)",
    }
    fake = _fake_pip_audit(tmp_path, {"pypi": (0, _report(skipped), ""), "osv": UNREACHABLE_OSV})
    assert audit.main(["--pip-audit", fake, str(ROOT / "requirements.lock")]) == 0
    said = capsys.readouterr().out
    assert said.startswith("audit: NOT CHECKED - no advisory source could be reached")
    assert "api.osv.dev" in said and "no known vulnerabilities" not in said


def test_when_osv_answers_after_pypi_could_not_its_verdict_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skipped = {
        "name": "aiohttp",
        "skip_reason": "Dependency not found on PyPI and could not be audited: aiohttp (3.14.5)",
    }
    vulnerable = {
        "name": "aiohttp",
        "version": "3.14.5",
        "vulns": [{"id": "GHSA-x", "fix_versions": []}],
    }
    fake = _fake_pip_audit(
        tmp_path, {"pypi": (0, _report(skipped), ""), "osv": (1, _report(vulnerable), "")}
    )
    assert audit.main(["--pip-audit", fake, str(ROOT / "requirements.lock")]) == 1
    assert "GHSA-x (fixed in no fixed version yet)" in capsys.readouterr().err


def test_a_clean_audit_says_how_many_packages_it_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = _fake_pip_audit(
        tmp_path,
        {
            "pypi": (
                0,
                _report({"name": "aiohttp", "vulns": []}, {"name": "pyyaml", "vulns": []}),
                "",
            )
        },
    )
    assert audit.main(["--pip-audit", fake, str(ROOT / "requirements.lock")]) == 0
    assert "2 locked package(s) checked against pypi's advisories" in capsys.readouterr().out


def test_pip_audit_failing_for_another_reason_fails_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = _fake_pip_audit(
        tmp_path, {"pypi": (1, "", "ERROR: package numpy has duplicate requirements\n")}
    )
    assert audit.main(["--pip-audit", fake, str(ROOT / "requirements.lock")]) == 2
    assert "duplicate requirements" in capsys.readouterr().err
