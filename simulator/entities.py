"""Message entities: UTF-16 offsets, parse-mode dispatch and rendering back to HTML."""

from __future__ import annotations

from html import escape
from typing import Any

from simulator.errors import ApiError, bad_request

__all__ = ["parse_formatted", "render_html", "utf16_len", "validate_entities"]

_ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)


def utf16_len(text: str) -> int:
    """Return the length of text in UTF-16 code units, the unit of entity offsets."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def validate_entities(raw: list[Any]) -> list[dict[str, Any]]:
    """Check explicitly passed entities and return them as plain dicts."""
    checked: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse entities: entity must be an object")
        kind, offset, length = item.get("type"), item.get("offset"), item.get("length")
        if kind not in _ENTITY_TYPES:
            raise bad_request(f"can't parse entities: unsupported entity type {kind!r}")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 1:
            raise bad_request("can't parse entities: wrong entity offset or length")
        checked.append(dict(item))
    return checked


def parse_formatted(
    text: str, parse_mode: str | None, entities: list[Any] | None
) -> tuple[str, list[dict[str, Any]]]:
    """Turn text plus parse_mode or explicit entities into plain text and entities."""
    if entities is not None:
        return text, validate_entities(entities)
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    try:
        if mode == "html":
            from simulator.html import parse_html

            return parse_html(text)
        if mode in ("markdownv2", "markdown"):
            from simulator.markdown import parse_markdown

            return parse_markdown(text, legacy=mode == "markdown")
    except ApiError:
        raise
    except Exception as exc:  # a parser bug must look like a parse error, not a crash
        raise bad_request(f"can't parse entities: {exc}") from exc
    raise bad_request(f"unsupported parse_mode {parse_mode!r}")


_SIMPLE_TAGS = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "spoiler": "tg-spoiler",
    "code": "code",
    "blockquote": "blockquote",
}


def _tags(entity: dict[str, Any]) -> tuple[str, str] | None:
    kind = entity.get("type")
    if kind in _SIMPLE_TAGS:
        tag = _SIMPLE_TAGS[str(kind)]
        return f"<{tag}>", f"</{tag}>"
    if kind == "expandable_blockquote":
        return "<blockquote expandable>", "</blockquote>"
    if kind == "pre":
        language = entity.get("language")
        if language:
            return f'<pre><code class="language-{escape(str(language))}">', "</code></pre>"
        return "<pre>", "</pre>"
    if kind == "text_link":
        return f'<a href="{escape(str(entity.get("url", "")))}">', "</a>"
    if kind == "text_mention":
        user = entity.get("user") or {}
        return f'<a href="tg://user?id={user.get("id", "")}">', "</a>"
    if kind == "custom_emoji":
        return f'<tg-emoji emoji-id="{escape(str(entity.get("custom_emoji_id", "")))}">', (
            "</tg-emoji>"
        )
    return None


def render_html(text: str, entities: list[dict[str, Any]]) -> str:
    """Render plain text and entities back to Telegram-style HTML."""
    tagged = [(e["offset"], e["offset"] + e["length"], t) for e in entities if (t := _tags(e))]
    if not tagged:
        return escape(text, quote=False)
    tagged.sort(key=lambda item: (item[0], -item[1]))
    out: list[str] = []
    open_stack: list[tuple[int, str]] = []
    next_open = 0
    position = 0
    for char in [*text, ""]:
        while open_stack and open_stack[-1][0] <= position:
            out.append(open_stack.pop()[1])
        while next_open < len(tagged) and tagged[next_open][0] <= position:
            _start, end, (opening, closing) = tagged[next_open]
            out.append(opening)
            open_stack.append((end, closing))
            next_open += 1
        out.append(escape(char, quote=False))
        position += 2 if ord(char or "\0") > 0xFFFF else 1
    while open_stack:
        out.append(open_stack.pop()[1])
    return "".join(out)
