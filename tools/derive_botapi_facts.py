"""Derive the Bot API facts the tests check requests against from the official api.json.

The tests validate every request the bot sends against the official method and type
list, but read it from `tests/support/botapi_facts.json` in this repository, so that a
fresh clone is enough to run them. That file keeps only what the validator uses: the
version, each method's parameters and each type's fields (name, types, required), the
subtypes of union types, and the values a `type` field must take ("must be chat" in
the prose becomes `"allowed": ["chat"]`). Descriptions are left out.

The source is `api.json` from PaulSonOfLars/telegram-bot-api-spec (MIT licence), kept
beside the repository in `../shared/telegram-bot-api/`. For a new Bot API version,
replace that file and run from the repository root:

    python tools/derive_botapi_facts.py ../shared/telegram-bot-api/api.json \\
        --output tests/support/botapi_facts.json

then update the version that `tests/test_simulator_spec.py` expects and run the tests.
The same input always gives the same bytes; `tests/test_derived_facts.py` checks that the
committed file is what this script makes of the source, whenever the source is there.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_OUTPUT", "DEFAULT_SOURCE", "allowed_values", "derive_facts", "render_facts"]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "telegram-bot-api" / "api.json"
DEFAULT_OUTPUT = REPO_ROOT / "tests" / "support" / "botapi_facts.json"

# Only the discriminator of a union member ("Scope type, must be chat") is turned into a
# rule; elsewhere "must be" is prose ("must be non-negative") that no regex reads safely.
_DISCRIMINATOR = "type"
_MUST_BE_ONE_OF = re.compile(r"must be one of (.*)")
_QUOTED = re.compile(r'"([^"]+)"')
_MUST_BE = re.compile(r"must be ([a-z0-9_]+)\b")


def allowed_values(description: str) -> list[str]:
    """The values a discriminator's description allows, or [] when it names none."""
    one_of = _MUST_BE_ONE_OF.search(description)
    if one_of:
        return _QUOTED.findall(one_of.group(1))
    single = _MUST_BE.search(description)
    return [single.group(1)] if single else []


def _field_facts(field: Mapping[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "name": field["name"],
        "required": bool(field["required"]),
        "types": list(field["types"]),
    }
    if field["name"] == _DISCRIMINATOR:
        allowed = allowed_values(field.get("description", ""))
        if allowed:
            facts["allowed"] = allowed
    return facts


def _entry_facts(entry: Mapping[str, Any]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    if entry.get("fields"):
        # The official order is kept: it is the order people read in the documentation.
        facts["fields"] = [_field_facts(field) for field in entry["fields"]]
    if entry.get("subtypes"):
        facts["subtypes"] = list(entry["subtypes"])
    return facts


def derive_facts(source: Mapping[str, Any]) -> dict[str, Any]:
    """The validator's facts from a parsed api.json: no descriptions, links or return types."""
    return {
        "generated_by": "tools/derive_botapi_facts.py",
        "methods": {name: _entry_facts(entry) for name, entry in source["methods"].items()},
        "release_date": source["release_date"],
        "types": {name: _entry_facts(entry) for name, entry in source["types"].items()},
        "version": source["version"],
    }


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def render_facts(facts: Mapping[str, Any]) -> str:
    """JSON with sorted keys and one line per method and type, so a diff shows what changed."""
    lines = []
    for key in sorted(facts):
        value = facts[key]
        if isinstance(value, Mapping):
            entries = ",\n".join(
                f"  {_compact(name)}: {_compact(value[name])}" for name in sorted(value)
            )
            lines.append(f" {_compact(key)}: {{\n{entries}\n }}")
        else:
            lines.append(f" {_compact(key)}: {_compact(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Read api.json, write the facts file, say what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "source", nargs="?", type=Path, default=DEFAULT_SOURCE, help="the official api.json"
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="the facts file to (over)write"
    )
    arguments = parser.parse_args(argv)
    source: Path = arguments.source
    output: Path = arguments.output
    if not source.is_file():
        parser.error(f"{source} not found (the official api.json, see this script's docstring)")
    facts = derive_facts(json.loads(source.read_text(encoding="utf-8")))
    output.write_text(render_facts(facts), encoding="utf-8")
    print(
        f"{output}: {facts['version']}, {len(facts['methods'])} methods, "
        f"{len(facts['types'])} types"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
