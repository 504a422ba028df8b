"""Validate Bot API requests against the official method and type list (api.json)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["BotApiSpec", "default_spec_path", "load_spec", "validate_request"]

_INTEGER = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_MUST_BE = re.compile(r"must be ([a-z_]+)")


def default_spec_path() -> Path:
    """api.json next to the repository (../shared), or NETCOACH_BOTAPI_SPEC."""
    override = os.environ.get("NETCOACH_BOTAPI_SPEC")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared" / "telegram-bot-api" / "api.json"


def _describe(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


class BotApiSpec:
    """The official methods and types, able to check one request's parameters."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.methods: dict[str, Any] = dict(data["methods"])
        self.types: dict[str, Any] = dict(data["types"])
        self._lower = {name.lower(): name for name in self.methods}

    def validate_request(self, method: str, params: Mapping[str, object]) -> list[str]:
        """Return the problems of calling method with params (empty when valid)."""
        name = self._lower.get(method.lower())
        if name is None:
            return [f"unknown method {method!r}"]
        return self._check_fields(name, self.methods[name].get("fields", []), params, wire=True)

    def _check_fields(
        self, where: str, fields: list[dict[str, Any]], values: Mapping[str, object], wire: bool
    ) -> list[str]:
        problems: list[str] = []
        known = {field["name"]: field for field in fields}
        for key in values:
            if key not in known:
                problems.append(f"{where}: unknown field {key!r}")
        for field in fields:
            key = field["name"]
            value = values.get(key)
            if value is None:
                if field.get("required"):
                    problems.append(f"{where}: missing required field {key!r}")
                continue
            problems += self._check_union(f"{where}.{key}", field["types"], value, wire, field)
        return problems

    def _check_union(
        self,
        where: str,
        alternatives: list[str],
        value: object,
        wire: bool,
        field: Mapping[str, Any] | None = None,
    ) -> list[str]:
        expanded: list[str] = []
        for alternative in alternatives:
            subtypes = self.types.get(alternative, {}).get("subtypes")
            expanded += subtypes or [alternative]
        best: list[str] | None = None
        for alternative in expanded:
            problems = self._check_type(where, alternative, value, wire)
            if not problems and field is not None and field["name"] == "type":
                problems = self._check_discriminator(where, field, value)
            if not problems:
                return []
            if best is None or len(problems) < len(best):
                best = problems
        if (
            len(expanded) > 1
            and best
            and all(t in ("Integer", "String", "Boolean", "Float", "InputFile") for t in expanded)
        ):
            return [f"{where}: expected {' or '.join(expanded)}, got {_describe(value)}"]
        return best or []

    def _check_discriminator(
        self, where: str, field: Mapping[str, Any], value: object
    ) -> list[str]:
        match = _MUST_BE.search(field.get("description", ""))
        if match and value != match.group(1):
            return [f"{where}: must be {match.group(1)!r}, got {value!r}"]
        return []

    def _check_type(self, where: str, type_name: str, value: object, wire: bool) -> list[str]:
        if type_name.startswith("Array of "):
            if wire and isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    return [f"{where}: expected a JSON array, got {_describe(value)}"]
            if not isinstance(value, list):
                return [f"{where}: expected {type_name}, got {_describe(value)}"]
            inner = type_name.removeprefix("Array of ")
            problems: list[str] = []
            for index, item in enumerate(value):
                problems += self._check_union(f"{where}[{index}]", [inner], item, wire=False)
            return problems
        simple = self._check_simple(type_name, value, wire)
        if simple is not None:
            return [] if simple else [f"{where}: expected {type_name}, got {_describe(value)}"]
        spec = self.types.get(type_name)
        if spec is None:
            return [f"{where}: unknown type {type_name!r} in the spec"]
        if wire and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return [f"{where}: expected a JSON {type_name}, got {_describe(value)}"]
        if not isinstance(value, dict):
            return [f"{where}: expected {type_name}, got {_describe(value)}"]
        return self._check_fields(f"{where}<{type_name}>", spec.get("fields", []), value, False)

    @staticmethod
    def _check_simple(type_name: str, value: object, wire: bool) -> bool | None:
        """True/False for primitive types, None when type_name is an object type."""
        text = value if wire and isinstance(value, str) else None
        if type_name == "Integer":
            if text is not None:
                return bool(_INTEGER.match(text))
            return isinstance(value, int) and not isinstance(value, bool)
        if type_name in ("Float", "Float number"):
            if text is not None:
                return bool(_FLOAT.match(text))
            return isinstance(value, int | float) and not isinstance(value, bool)
        if type_name == "String":
            return isinstance(value, str)
        if type_name in ("Boolean", "True"):
            allowed = ("true",) if type_name == "True" else ("true", "false")
            if text is not None:
                return text.lower() in allowed
            return isinstance(value, bool) and (value or type_name == "Boolean")
        if type_name == "InputFile":
            if isinstance(value, dict):
                return value.get("input_file") is True
            return isinstance(value, bytes) or (
                isinstance(value, str) and value.startswith("attach://")
            )
        return None


@cache
def load_spec(path: str | None = None) -> BotApiSpec:
    """Load (once) the spec from path or the default location."""
    source = Path(path) if path else default_spec_path()
    return BotApiSpec(json.loads(source.read_text(encoding="utf-8")))


def validate_request(method: str, params: Mapping[str, object]) -> list[str]:
    """Return the problems of one Bot API call against the official spec."""
    return load_spec().validate_request(method, params)
