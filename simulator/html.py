"""Telegram's HTML parse mode: the supported tag subset, turned into plain text and entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from simulator.entities import utf16_len
from simulator.errors import ApiError, bad_request

__all__ = ["parse_html"]

_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_SUPPORTED = frozenset({*_SIMPLE, "span", "a", "tg-emoji"})
_SPECIAL = re.compile(r"[<&]")
_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_END_TAG = re.compile(r"</\s*([a-zA-Z][a-zA-Z0-9-]*)\s*>")
_START_TAG = re.compile(
    r"<([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[^\s=>/]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*/?>"
)
_ATTRIBUTE = re.compile(r"([^\s=>/]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")


@dataclass(slots=True)
class _Open:
    tag: str
    offset: int
    attributes: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def _unescape(value: str) -> str:
    return _CHAR_REF.sub(lambda m: _char_ref(m.group(0), m.group(1)), value)


def _char_ref(whole: str, body: str) -> str:
    if body.startswith(("#x", "#X")):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    else:
        return _NAMED.get(body, whole)
    return chr(code) if 0 < code <= 0x10FFFF else whole


def _attributes(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(raw):
        value = match.group(2) or match.group(3) or match.group(4) or ""
        found[match.group(1).lower()] = _unescape(value)
    return found


def _entity_for(opened: _Open, length: int, source: str, index: int) -> dict[str, Any] | None:
    """Build the entity closed by an end tag, or None when the tag adds none."""
    tag, attrs = opened.tag, opened.attributes
    entity: dict[str, Any] = {"offset": opened.offset, "length": length}
    if tag in ("span", "tg-spoiler"):
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise _error('tag "span" must have class "tg-spoiler"')
        entity["type"] = "spoiler"
    elif tag == "a":
        href = attrs.get("href")
        if not href:
            return None
        entity.update(type="text_link", url=href)
    elif tag == "tg-emoji":
        emoji_id = attrs.get("emoji-id")
        if not emoji_id:
            raise _error(
                f"tag tg-emoji needs emoji-id at byte offset {_byte_offset(source, index)}"
            )
        entity.update(type="custom_emoji", custom_emoji_id=emoji_id)
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    elif tag == "pre":
        entity["type"] = "pre"
        if opened.extra.get("language"):
            entity["language"] = opened.extra["language"]
    else:
        entity["type"] = _SIMPLE[tag]
    return entity


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into plain text and entities (offsets in UTF-16 units)."""
    out: list[str] = []
    position = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    index = 0
    while True:
        match = _SPECIAL.search(source, index)
        stop = match.start() if match else len(source)
        if stop > index:
            piece = source[index:stop]
            out.append(piece)
            position += utf16_len(piece)
        if match is None:
            break
        if source[stop] == "&":
            ref = _CHAR_REF.match(source, stop)
            text = _char_ref(ref.group(0), ref.group(1)) if ref else "&"
            out.append(text)
            position += utf16_len(text)
            index = ref.end() if ref else stop + 1
            continue
        end = _END_TAG.match(source, stop)
        if end:
            name = end.group(1).lower()
            if not stack:
                raise _error(f"Unexpected end tag at byte offset {_byte_offset(source, stop)}")
            opened = stack.pop()
            if opened.tag != name:
                raise _error(
                    f"Unmatched end tag at byte offset {_byte_offset(source, stop)}, "
                    f'expected "</{opened.tag}>", found "</{name}>"'
                )
            if name == "code" and stack and stack[-1].tag == "pre":
                # <pre><code class="language-x"> is one pre entity with a language.
                language = opened.attributes.get("class", "").removeprefix("language-")
                if language and opened.attributes.get("class", "").startswith("language-"):
                    stack[-1].extra["language"] = language
            elif position > opened.offset:
                entity = _entity_for(opened, position - opened.offset, source, stop)
                if entity is not None:
                    entities.append(entity)
            index = end.end()
            continue
        start = _START_TAG.match(source, stop)
        if start is None:
            raise _error(f"Unclosed start tag at byte offset {_byte_offset(source, stop)}")
        name = start.group(1).lower()
        if name not in _SUPPORTED:
            raise _error(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, stop)}'
            )
        stack.append(_Open(name, position, _attributes(start.group(2))))
        index = start.end()
    if stack:
        raise _error(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities
