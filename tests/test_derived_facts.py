"""The facts tests need from files outside the repository are derived, committed and current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.botapi_spec import FACTS_PATH
from tools import derive_botapi_facts, derive_seed_fingerprints
from tools.derive_seed_fingerprints import fingerprint

# A slice of api.json as the official scrape writes it, prose included.
SOURCE_SLICE: dict[str, Any] = {
    "version": "Bot API 9.9",
    "release_date": "May 1, 2026",
    "changelog": "https://core.telegram.org/bots/api#may-1-2026",
    "methods": {
        "setMyCommands": {
            "name": "setMyCommands",
            "href": "https://core.telegram.org/bots/api#setmycommands",
            "description": ["Use this method to change the list of the bot's commands."],
            "returns": ["True"],
            "fields": [
                {
                    "name": "commands",
                    "types": ["Array of BotCommand"],
                    "required": True,
                    "description": "A JSON-serialized list of bot commands",
                },
                {
                    "name": "scope",
                    "types": ["BotCommandScope"],
                    "required": False,
                    "description": "A JSON-serialized object, describing scope of users",
                },
            ],
        },
        "getMe": {
            "name": "getMe",
            "href": "https://core.telegram.org/bots/api#getme",
            "description": ["A simple method for testing your bot's authentication token."],
            "returns": ["User"],
        },
    },
    "types": {
        "BotCommandScope": {
            "name": "BotCommandScope",
            "description": ["This object represents the scope to which bot commands apply."],
            "subtypes": ["BotCommandScopeChat"],
        },
        "BotCommandScopeChat": {
            "name": "BotCommandScopeChat",
            "description": ["Represents the scope of bot commands, covering a specific chat."],
            "fields": [
                {
                    "name": "type",
                    "types": ["String"],
                    "required": True,
                    "description": "Scope type, must be chat",
                },
                {
                    "name": "chat_id",
                    "types": ["Integer", "String"],
                    "required": True,
                    "description": "Unique identifier for the target chat; must be positive",
                },
            ],
            "subtype_of": ["BotCommandScope"],
        },
        "InlineQueryResultMpeg4Gif": {
            "name": "InlineQueryResultMpeg4Gif",
            "fields": [
                {
                    "name": "type",
                    "types": ["String"],
                    "required": True,
                    "description": "Type of the result, must be mpeg4_gif",
                },
            ],
        },
        "RichBlockListItem": {
            "name": "RichBlockListItem",
            "fields": [
                {
                    "name": "type",
                    "types": ["String"],
                    "required": False,
                    "description": 'Optional. The label; must be one of "a" for letters, "1" for '
                    "decimal numbers",
                },
            ],
        },
    },
}


def test_the_facts_keep_names_types_and_rules_but_no_prose() -> None:
    facts = derive_botapi_facts.derive_facts(SOURCE_SLICE)

    assert facts == {
        "generated_by": "tools/derive_botapi_facts.py",
        "version": "Bot API 9.9",
        "release_date": "May 1, 2026",
        "methods": {
            "getMe": {},
            "setMyCommands": {
                "fields": [
                    {"name": "commands", "required": True, "types": ["Array of BotCommand"]},
                    {"name": "scope", "required": False, "types": ["BotCommandScope"]},
                ]
            },
        },
        "types": {
            "BotCommandScope": {"subtypes": ["BotCommandScopeChat"]},
            "BotCommandScopeChat": {
                "fields": [
                    {"allowed": ["chat"], "name": "type", "required": True, "types": ["String"]},
                    # "must be positive" on another field is prose, not a list of values.
                    {"name": "chat_id", "required": True, "types": ["Integer", "String"]},
                ]
            },
            "InlineQueryResultMpeg4Gif": {
                "fields": [
                    {
                        "allowed": ["mpeg4_gif"],
                        "name": "type",
                        "required": True,
                        "types": ["String"],
                    }
                ]
            },
            "RichBlockListItem": {
                "fields": [
                    {"allowed": ["a", "1"], "name": "type", "required": False, "types": ["String"]}
                ]
            },
        },
    }


def test_the_facts_file_is_the_same_bytes_whatever_order_the_source_lists_things_in() -> None:
    reordered = {
        **SOURCE_SLICE,
        "methods": dict(reversed(SOURCE_SLICE["methods"].items())),
        "types": dict(reversed(SOURCE_SLICE["types"].items())),
    }

    first = derive_botapi_facts.render_facts(derive_botapi_facts.derive_facts(SOURCE_SLICE))
    second = derive_botapi_facts.render_facts(derive_botapi_facts.derive_facts(reordered))

    assert first == second
    assert json.loads(first) == derive_botapi_facts.derive_facts(SOURCE_SLICE)
    # One line per method, so a new Bot API version shows up in a diff method by method.
    assert '\n  "getMe": {},\n  "setMyCommands": {"fields":[' in first


def test_the_committed_botapi_facts_carry_no_descriptions_links_or_return_types() -> None:
    facts = json.loads(FACTS_PATH.read_text(encoding="utf-8"))
    entries = [*facts["methods"].values(), *facts["types"].values()]

    assert set(facts) == {"generated_by", "methods", "release_date", "types", "version"}
    assert {key for entry in entries for key in entry} == {"fields", "subtypes"}
    assert {key for entry in entries for field in entry.get("fields", ()) for key in field} == {
        "allowed",
        "name",
        "required",
        "types",
    }


def test_regenerating_the_botapi_facts_from_the_shared_api_json_changes_nothing(
    tmp_path: Path,
) -> None:
    """Maintenance: the committed facts are what the script makes of ../shared's api.json."""
    source = derive_botapi_facts.DEFAULT_SOURCE
    if not source.is_file():
        pytest.skip(f"maintenance check only: {source} is not there to regenerate from")
    output = tmp_path / "botapi_facts.json"

    assert derive_botapi_facts.main([str(source), "--output", str(output)]) == 0

    assert output.read_bytes() == FACTS_PATH.read_bytes()


def test_the_source_text_is_kept_as_hashes_of_its_sentences_and_six_word_runs() -> None:
    text = "Geduld\n\n- **Geduld.** Gute Kontakte wachsen langsam und brauchen Pflege. Kurz: ja!\n"
    sentence = ["gute", "kontakte", "wachsen", "langsam", "und", "brauchen", "pflege"]

    fingerprints = derive_seed_fingerprints.derive_fingerprints({"karte.txt": text})

    # "Geduld", "Kurz" and "ja" are too short to be a sentence anyone could copy.
    assert fingerprints == {
        "generated_by": "tools/derive_seed_fingerprints.py",
        "sentences": [fingerprint(sentence)],
        "shingle_words": 6,
        "shingles": sorted([fingerprint(sentence[:6]), fingerprint(sentence[1:])]),
        "sources": ["karte.txt"],
    }
    rendered = derive_seed_fingerprints.render_fingerprints(fingerprints)
    assert json.loads(rendered) == fingerprints
    assert "kontakte" not in rendered.casefold()


def test_regenerating_the_seed_fingerprints_from_the_shared_source_text_changes_nothing(
    tmp_path: Path,
) -> None:
    """Maintenance: the committed hashes are what the script makes of ../shared's seed text."""
    source = derive_seed_fingerprints.DEFAULT_SOURCE
    if not any(source.glob("*.txt")):
        pytest.skip(f"maintenance check only: no {source}/*.txt to regenerate from")
    output = tmp_path / "seed_fingerprints.json"

    assert derive_seed_fingerprints.main([str(source), "--output", str(output)]) == 0

    assert output.read_bytes() == derive_seed_fingerprints.DEFAULT_OUTPUT.read_bytes()
