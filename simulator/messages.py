"""Messages, files, buttons and events as tests see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from simulator.entities import render_html

__all__ = ["Button", "CallbackAnswer", "SimEvent", "SimFile", "SimMessage"]


@dataclass(frozen=True, slots=True)
class SimFile:
    """A file the bot uploaded (or a user sent), with its bytes."""

    file_id: str
    file_unique_id: str
    filename: str | None
    mime_type: str | None
    data: bytes

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def as_document(self) -> dict[str, Any]:
        """Return the Bot API Document object."""
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.filename:
            doc["file_name"] = self.filename
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def as_photo(self) -> list[dict[str, Any]]:
        """Return the Bot API photo field: a list of PhotoSize."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": 320,
                "height": 320,
                "file_size": self.size,
            }
        ]


class Button(NamedTuple):
    """An inline button: its label and callback data (or URL for link buttons)."""

    text: str
    data: str | None


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """The bot's answerCallbackQuery for one button press."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(slots=True)
class SimMessage:
    """A message in a simulated chat; bot messages reflect later edits."""

    message_id: int
    chat: dict[str, Any]
    sender: dict[str, Any]
    date: int
    from_bot: bool
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: SimFile | None = None
    photo: SimFile | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    reply_to: SimMessage | None = None
    edit_date: int | None = None
    edit_count: int = 0
    deleted: bool = False

    @property
    def chat_id(self) -> int:
        """Id of the chat the message is in."""
        chat_id: int = self.chat["id"]
        return chat_id

    @property
    def edited(self) -> bool:
        """Whether the message was edited after it was sent."""
        return self.edit_count > 0

    @property
    def html(self) -> str:
        """Text (or caption) rendered back to Telegram HTML."""
        if self.text is not None:
            return render_html(self.text, self.entities)
        return render_html(self.caption or "", self.caption_entities)

    @property
    def body(self) -> str:
        """Plain text, or the caption for media messages."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def keyboard(self) -> list[list[Button]]:
        """Inline keyboard rows (empty without an inline keyboard)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            [Button(b["text"], b.get("callback_data", b.get("url"))) for b in row] for row in rows
        ]

    @property
    def buttons(self) -> list[Button]:
        """All inline buttons, row by row."""
        return [button for row in self.keyboard for button in row]

    @property
    def reply_keyboard(self) -> list[list[str]]:
        """Labels of a reply keyboard (empty without one)."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [[b if isinstance(b, str) else b["text"] for b in row] for row in rows]

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        """Return the Bot API Message object."""
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.reply_to is not None and with_reply:
            message["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        if self.document is not None:
            message["document"] = self.document.as_document()
        if self.photo is not None:
            message["photo"] = self.photo.as_photo()
        if self.caption is not None:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = self.caption_entities
        if self.extra:
            message.update(self.extra)
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            message["reply_markup"] = self.reply_markup
        return message

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else "user"
        flags = " edited" if self.edited else ""
        flags += " deleted" if self.deleted else ""
        body = self.body if len(self.body) <= 60 else self.body[:57] + "..."
        extra = f" buttons={[b.text for b in self.buttons]}" if self.buttons else ""
        if self.document is not None:
            extra += f" document={self.document.filename!r}"
        if self.photo is not None:
            extra += " photo"
        return f"<#{self.message_id} {who}{flags} {body!r}{extra}>"


EventKind = Literal["message", "edit", "delete", "callback_answer", "chat_action"]


@dataclass(frozen=True, slots=True)
class SimEvent:
    """Something the bot did in a chat: sent, edited or deleted a message, answered, typed."""

    kind: EventKind
    chat_id: int
    message: SimMessage | None = None
    text: str | None = None
    answer: CallbackAnswer | None = None
    action: str | None = None
