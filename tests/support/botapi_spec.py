"""Validate Bot API requests against the official method and type list.

The list is `botapi_facts.json` beside this module: the facts of the official api.json
that validation needs, derived by `tools/derive_botapi_facts.py` (its docstring says how
to regenerate it for a new Bot API version).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "FACTS_PATH",
    "ApiField",
    "ApiMethod",
    "ApiType",
    "BotApiSpec",
    "load_spec",
    "validate_request",
]

FACTS_PATH = Path(__file__).with_name("botapi_facts.json")

_INTEGER = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


@dataclass(frozen=True, slots=True)
class ApiField:
    """One parameter of a method or field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool
    # The values a `type` field may take, from "must be chat"; empty when the spec names none.
    allowed: tuple[str, ...] = ()

    @classmethod
    def from_facts(cls, facts: Mapping[str, Any]) -> ApiField:
        """Build from one entry of a facts file's `fields` list."""
        return cls(
            name=facts["name"],
            types=tuple(facts["types"]),
            required=facts["required"],
            allowed=tuple(facts.get("allowed", ())),
        )


def _fields(facts: Mapping[str, Any]) -> tuple[ApiField, ...]:
    return tuple(ApiField.from_facts(field) for field in facts.get("fields", ()))


@dataclass(frozen=True, slots=True)
class ApiMethod:
    """A Bot API method and its parameters."""

    name: str
    fields: tuple[ApiField, ...]


@dataclass(frozen=True, slots=True)
class ApiType:
    """A Bot API object type: its fields, or the types it is a union of."""

    name: str
    fields: tuple[ApiField, ...]
    subtypes: tuple[str, ...]


def _describe(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


class BotApiSpec:
    """The official methods and types of one Bot API version, able to check a request."""

    def __init__(
        self, version: str, methods: Sequence[ApiMethod], types: Sequence[ApiType]
    ) -> None:
        self.version = version
        self.methods = {method.name: method for method in methods}
        self.types = {api_type.name: api_type for api_type in types}
        self._lower = {name.lower(): name for name in self.methods}

    @classmethod
    def from_facts(cls, facts: Mapping[str, Any]) -> BotApiSpec:
        """Build from a parsed facts file (see tools/derive_botapi_facts.py)."""
        return cls(
            version=facts["version"],
            methods=[ApiMethod(name, _fields(entry)) for name, entry in facts["methods"].items()],
            types=[
                ApiType(name, _fields(entry), tuple(entry.get("subtypes", ())))
                for name, entry in facts["types"].items()
            ],
        )

    def validate_request(self, method: str, params: Mapping[str, object]) -> list[str]:
        """Return the problems of calling method with params (empty when valid)."""
        name = self._lower.get(method.lower())
        if name is None:
            return [f"unknown method {method!r}"]
        return self._check_fields(name, self.methods[name].fields, params, wire=True)

    def _check_fields(
        self, where: str, fields: Sequence[ApiField], values: Mapping[str, object], wire: bool
    ) -> list[str]:
        problems: list[str] = []
        known = {field.name for field in fields}
        for key in values:
            if key not in known:
                problems.append(f"{where}: unknown field {key!r}")
        for field in fields:
            value = values.get(field.name)
            if value is None:
                if field.required:
                    problems.append(f"{where}: missing required field {field.name!r}")
                continue
            found = self._check_union(f"{where}.{field.name}", field.types, value, wire)
            if not found and field.allowed and value not in field.allowed:
                # A wrong `type` is what tells union members apart: the member whose
                # discriminator matches has fewer problems and is the one reported.
                expected = " or ".join(repr(allowed) for allowed in field.allowed)
                found = [f"{where}.{field.name}: must be {expected}, got {value!r}"]
            problems += found
        return problems

    def _check_union(
        self, where: str, alternatives: Sequence[str], value: object, wire: bool
    ) -> list[str]:
        expanded: list[str] = []
        for alternative in alternatives:
            api_type = self.types.get(alternative)
            expanded += api_type.subtypes if api_type and api_type.subtypes else [alternative]
        best: list[str] | None = None
        for alternative in expanded:
            problems = self._check_type(where, alternative, value, wire)
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
        api_type = self.types.get(type_name)
        if api_type is None:
            return [f"{where}: unknown type {type_name!r} in the spec"]
        if wire and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return [f"{where}: expected a JSON {type_name}, got {_describe(value)}"]
        if not isinstance(value, dict):
            return [f"{where}: expected {type_name}, got {_describe(value)}"]
        return self._check_fields(f"{where}<{type_name}>", api_type.fields, value, False)

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
def load_spec(path: Path = FACTS_PATH) -> BotApiSpec:
    """Load (once) the facts file, by default the one committed beside this module."""
    return BotApiSpec.from_facts(json.loads(path.read_text(encoding="utf-8")))


def validate_request(method: str, params: Mapping[str, object]) -> list[str]:
    """Return the problems of one Bot API call against the official spec."""
    return load_spec().validate_request(method, params)
