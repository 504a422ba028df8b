"""Check the locked dependencies against published advisories, and say plainly what was checked.

    python tools/audit.py [--pip-audit PATH] [LOCK_FILE]

Runs pip-audit on the lock file (all pins, all hashes) with PyPI's advisory data, and with
OSV's if PyPI's could not be read. pip-audit itself reports "No known vulnerabilities
found" even when it could look up nothing (every package "skipped"), so this reads its
JSON and decides:

- a known vulnerability in any locked package: list them, exit 1 (fails CI);
- no advisory source reachable: say so, and that nothing was checked, exit 0 (a machine
  that reaches only the package registry cannot audit; that is not a finding);
- otherwise: how many packages were checked and which could not be, exit 0;
- pip-audit failing for another reason: its message, exit 2.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AuditRun", "Verdict", "decide", "main", "run_pip_audit"]

SOURCES = ("pypi", "osv")
# How pip-audit fails when its advisory source cannot be reached at all.
_UNREACHABLE = re.compile(
    r"ConnectionError|NameResolutionError|Name or service not known|Max retries exceeded|"
    r"Temporary failure in name resolution|timed out|SSLError|ProxyError|"
    r"Connection refused|Network is unreachable|ServiceError",
)
# How pip-audit skips a package whose advisory data it could not read.
_NOT_FOUND = "could not be audited"


@dataclass(frozen=True)
class AuditRun:
    """What one pip-audit run against one advisory source gave."""

    source: str
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Verdict:
    """The outcome: the exit code and the lines to print."""

    exit_code: int
    lines: list[str] = field(default_factory=list)


def _report(run: AuditRun) -> dict[str, Any] | None:
    try:
        document = json.loads(run.stdout)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def decide(runs: list[AuditRun]) -> Verdict:
    """The verdict over the runs made so far (PyPI first, OSV only if PyPI told nothing)."""
    unreachable: list[str] = []
    for run in runs:
        report = _report(run)
        if report is None:
            if _UNREACHABLE.search(run.stderr):
                unreachable.append(f"{run.source}: {_last_line(run.stderr)}")
                continue
            return Verdict(2, [f"audit: pip-audit ({run.source}) failed: {_last_line(run.stderr)}"])
        dependencies = report.get("dependencies", [])
        vulnerable = [d for d in dependencies if d.get("vulns")]
        skipped = [d for d in dependencies if d.get("skip_reason")]
        checked = len(dependencies) - len(skipped)
        if vulnerable:
            lines = [f"audit: known vulnerabilities in {len(vulnerable)} locked package(s):"]
            for dependency in vulnerable:
                for vuln in dependency["vulns"]:
                    fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
                    lines.append(
                        f"  {dependency['name']} {dependency.get('version', '?')}: "
                        f"{vuln.get('id', '?')} (fixed in {fixed})"
                    )
            lines.append("audit: raise the floor in pyproject.toml and run `make lock`")
            return Verdict(1, lines)
        if checked == 0 and dependencies:
            reason = skipped[0].get("skip_reason", "") if skipped else ""
            unreachable.append(f"{run.source}: no package could be looked up ({reason})")
            continue
        lines = [
            f"audit: {checked} locked package(s) checked against {run.source}'s advisories: "
            "no known vulnerabilities"
        ]
        if skipped:
            names = ", ".join(d["name"] for d in skipped)
            lines.append(f"audit: could not be checked: {names}")
        return Verdict(0, lines)
    return Verdict(
        0,
        [
            "audit: NOT CHECKED - no advisory source could be reached from here, so nothing "
            "was checked (this does not fail the build):",
            *(f"  {reason}" for reason in unreachable),
            "audit: run `make audit` where PyPI's JSON API or api.osv.dev answers",
        ],
    )


def run_pip_audit(pip_audit: str, lock: Path, source: str) -> AuditRun:
    """Run pip-audit on the lock file against one advisory source."""
    command = [
        pip_audit,
        "--requirement",
        str(lock),
        "--require-hashes",
        "--disable-pip",
        "--vulnerability-service",
        source,
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except subprocess.TimeoutExpired:
        return AuditRun(source, -1, "", "pip-audit timed out")
    return AuditRun(source, done.returncode, done.stdout, done.stderr)


def main(argv: list[str] | None = None) -> int:
    """Audit the lock file; print the verdict; return its exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("lock", nargs="?", default="requirements.lock", type=Path)
    parser.add_argument("--pip-audit", default="pip-audit", help="the pip-audit executable")
    arguments = parser.parse_args(argv)
    runs: list[AuditRun] = []
    verdict = Verdict(0)
    for source in SOURCES:
        runs.append(run_pip_audit(arguments.pip_audit, arguments.lock, source))
        verdict = decide(runs)
        # Another source only when this one could tell nothing at all.
        if verdict.exit_code != 0 or not verdict.lines[0].startswith("audit: NOT CHECKED"):
            break
    print("\n".join(verdict.lines), file=sys.stderr if verdict.exit_code else sys.stdout)
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
