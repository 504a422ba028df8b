"""Telegram's MarkdownV2 and legacy Markdown parse modes (the common subset)."""

from __future__ import annotations

from typing import Any

from simulator.entities import utf16_len
from simulator.errors import ApiError, bad_request

__all__ = ["parse_markdown"]

_RESERVED_V2 = frozenset("_*[]()~`>#+-=|{}.!")
_TOGGLES_V2 = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough"}
_TOGGLES_V2["||"] = "spoiler"
_TOGGLES_LEGACY = {"*": "bold", "_": "italic"}
_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
}


def _error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


class _Parser:
    """One pass over the source, emitting plain text and entities."""

    def __init__(self, source: str, legacy: bool) -> None:
        self.source = source
        self.legacy = legacy
        self.out: list[str] = []
        self.position = 0
        self.entities: list[dict[str, Any]] = []
        self.stack: list[tuple[str, str, int, int]] = []  # marker, type, offset, source index
        self.quote_start: int | None = None

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.position += utf16_len(text)

    def add(self, kind: str, offset: int, **extra: Any) -> None:
        if self.position > offset:
            self.entities.append(
                {"type": kind, "offset": offset, "length": self.position - offset, **extra}
            )

    def closing(self, start: int, token: str) -> int:
        """Find the index of the unescaped closing token, or fail."""
        index = start
        while True:
            found = self.source.find(token, index)
            if found < 0:
                name = "Pre" if token == "```" else "Code"
                raise _error(
                    f"Can't find end of {name} entity at byte offset "
                    f"{_byte_offset(self.source, start)}"
                )
            if self.legacy or not self._escaped(found):
                return found
            index = found + 1

    def _escaped(self, index: int) -> bool:
        slashes = 0
        while index - slashes - 1 >= 0 and self.source[index - slashes - 1] == "\\":
            slashes += 1
        return slashes % 2 == 1

    def unescape(self, text: str) -> str:
        if self.legacy:
            return text
        out: list[str] = []
        index = 0
        while index < len(text):
            if text[index] == "\\" and index + 1 < len(text):
                index += 1
            out.append(text[index])
            index += 1
        return "".join(out)

    def code(self, index: int) -> int:
        source = self.source
        if source.startswith("```", index):
            end = self.closing(index + 3, "```")
            body = source[index + 3 : end]
            language = ""
            first, newline, rest = body.partition("\n")
            if newline and first.strip() and " " not in first.strip():
                language, body = first.strip(), rest
            offset = self.position
            self.emit(self.unescape(body))
            if language:
                self.add("pre", offset, language=language)
            else:
                self.add("pre", offset)
            return end + 3
        end = self.closing(index + 1, "`")
        offset = self.position
        self.emit(self.unescape(source[index + 1 : end]))
        self.add("code", offset)
        return end + 1

    def toggle(self, marker: str, kind: str, index: int) -> None:
        if self.stack and self.stack[-1][0] == marker:
            _marker, _kind, offset, _index = self.stack.pop()
            self.add(kind, offset)
        elif any(item[0] == marker for item in self.stack):
            raise _error(f"Can't find end of {_NAMES[self.stack[-1][1]]} entity")
        else:
            self.stack.append((marker, kind, self.position, index))

    def link_end(self, index: int) -> int:
        source = self.source
        marker, _kind, offset, _start = self.stack.pop()
        if not source.startswith("(", index + 1):
            if self.legacy:
                return index + 1
            raise _error("Character ']' is reserved and must be escaped with the preceding '\\'")
        close = source.find(")", index + 2)
        while close >= 0 and not self.legacy and self._escaped(close):
            close = source.find(")", close + 1)
        if close < 0:
            raise _error("Can't find end of a URL")
        url = self.unescape(source[index + 2 : close])
        if marker == "![" and url.startswith("tg://emoji?id="):
            self.add("custom_emoji", offset, custom_emoji_id=url.removeprefix("tg://emoji?id="))
        else:
            self.add("text_link", offset, url=url)
        return close + 1

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        source, legacy = self.source, self.legacy
        toggles = _TOGGLES_LEGACY if legacy else _TOGGLES_V2
        index, line_start = 0, True
        while index < len(source):
            char = source[index]
            two = source[index : index + 2]
            if char == "\\" and index + 1 < len(source):
                escapable = source[index + 1] in "_*`[" if legacy else ord(source[index + 1]) < 127
                if escapable:
                    self.emit(source[index + 1])
                    index, line_start = index + 2, False
                    continue
            if char == "`":
                index, line_start = self.code(index), False
                continue
            if not legacy and two in ("__", "||"):
                self.toggle(two, toggles[two], index)
                index += 2
            elif char in toggles:
                self.toggle(char, toggles[char], index)
                index += 1
            elif char == "[":
                self.stack.append(("[", "text_link", self.position, index))
                index += 1
            elif not legacy and two == "![":
                self.stack.append(("![", "text_link", self.position, index))
                index += 2
            elif char == "]" and self.stack and self.stack[-1][0] in ("[", "!["):
                index = self.link_end(index)
            elif not legacy and char == ">" and line_start:
                if self.quote_start is None:
                    self.quote_start = self.position
                index += 1
            elif not legacy and char in _RESERVED_V2:
                raise _error(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            else:
                if (
                    char == "\n"
                    and self.quote_start is not None
                    and not source.startswith(">", index + 1)
                ):
                    self.add("blockquote", self.quote_start)
                    self.quote_start = None
                self.emit(char)
                index += 1
            line_start = char == "\n"
        if self.stack:
            _marker, kind, _offset, start = self.stack[-1]
            name = _NAMES.get(kind, kind)
            if legacy:
                raise _error(
                    "Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(source, start)}"
                )
            raise _error(
                f"Can't find end of {name} entity at byte offset {_byte_offset(source, start)}"
            )
        if self.quote_start is not None:
            self.add("blockquote", self.quote_start)
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities


def parse_markdown(source: str, *, legacy: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2 (or legacy Markdown) into plain text and entities."""
    return _Parser(source, legacy).run()
