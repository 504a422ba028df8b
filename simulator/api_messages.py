"""Bot API methods that send, edit and delete messages and answer button presses."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from simulator.core import SimulatorCore
from simulator.entities import parse_formatted, utf16_len
from simulator.errors import ApiError, bad_request
from simulator.markup import validate_reply_markup
from simulator.messages import CallbackAnswer, SimEvent, SimFile, SimMessage
from simulator.params import Params, Upload
from simulator.state import ChatState

__all__ = [
    "answer_callback_query",
    "delete_message",
    "edit_message_reply_markup",
    "edit_message_text",
    "send_chat_action",
    "send_document",
    "send_message",
    "send_photo",
]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def _text(p: Params, field: str = "text") -> tuple[str, list[dict[str, Any]]]:
    text, entities = parse_formatted(
        p.string(field) or "", p.string("parse_mode"), p.json_array("entities")
    )
    if not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities


def _caption(p: Params) -> tuple[str | None, list[dict[str, Any]]]:
    raw = p.string("caption")
    if not raw:
        return None, []
    caption, entities = parse_formatted(
        raw, p.string("parse_mode"), p.json_array("caption_entities")
    )
    if utf16_len(caption) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return caption or None, entities


def _markup(p: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
    markup = p.json_object("reply_markup")
    if markup is not None:
        validate_reply_markup(markup, inline_only=inline_only)
    return markup


def _reply_to(chat: ChatState, p: Params) -> SimMessage | None:
    reply = p.json_object("reply_parameters")
    if reply is None:
        return None
    message_id = reply.get("message_id")
    target = chat.messages.get(message_id) if isinstance(message_id, int) else None
    if target is None or target.deleted:
        if reply.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return target


@dataclass(frozen=True, slots=True)
class _Admission:
    """How a message the limits let in is counted."""

    paid: bool
    at: float


def _admit(core: SimulatorCore, chat: ChatState, p: Params) -> _Admission:
    """Refuse blocked users, then apply flood limits; the last check before delivery.

    Returns how the message is counted: whether it goes as a paid broadcast
    (`allow_paid_broadcast`), and when the limits let it in (the moment its peaks are
    counted at too, however long building the message then takes).
    """
    core.state.check_not_blocked(chat)
    paid = p.boolean("allow_paid_broadcast")
    admitted_at = core.clock()
    retry_after = core.limiter.acquire(chat.id, paid=paid)
    if retry_after is not None:
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
    return _Admission(paid, admitted_at)


async def send_message(core: SimulatorCore, p: Params) -> Any:
    """sendMessage."""
    text, entities = _text(p)
    markup = _markup(p)
    chat = core.state.resolve_chat(p.chat_id())
    reply_to = _reply_to(chat, p)
    admission = _admit(core, chat, p)
    message = core.new_message(
        chat,
        core.state.bot_user,
        paid=admission.paid,
        admitted_at=admission.at,
        text=text,
        entities=entities,
        reply_markup=markup,
        reply_to=reply_to,
    )
    return message.to_api()


def _check_file(core: SimulatorCore, value: Upload | str | None) -> None:
    if isinstance(value, Upload) or value in core.state.files:
        return
    if not value or not value.startswith(("http://", "https://")):
        raise bad_request("wrong file identifier/HTTP URL specified")


def _file(core: SimulatorCore, value: Upload | str | None, default_mime: str) -> SimFile:
    """Store an upload, reuse a known file id, or stand in for a URL (checked before)."""
    if isinstance(value, Upload):
        mime = value.content_type or mimetypes.guess_type(value.filename)[0] or default_mime
        return core.state.store_file(value.data, value.filename, mime)
    url = value or ""
    known = core.state.files.get(url)
    if known is not None:
        return known
    name = url.rsplit("/", 1)[-1] or None
    return core.state.store_file(b"", name, mimetypes.guess_type(url)[0])


async def _send_media(core: SimulatorCore, p: Params, field: str) -> Any:
    caption, caption_entities = _caption(p)
    markup = _markup(p)
    chat = core.state.resolve_chat(p.chat_id())
    reply_to = _reply_to(chat, p)
    raw = p.file(field)
    _check_file(core, raw)
    admission = _admit(core, chat, p)
    file = _file(core, raw, "image/jpeg" if field == "photo" else "application/octet-stream")
    message = core.new_message(
        chat,
        core.state.bot_user,
        paid=admission.paid,
        admitted_at=admission.at,
        caption=caption,
        caption_entities=caption_entities,
        reply_markup=markup,
        reply_to=reply_to,
        **{field: file},
    )
    return message.to_api()


async def send_document(core: SimulatorCore, p: Params) -> Any:
    """sendDocument."""
    return await _send_media(core, p, "document")


async def send_photo(core: SimulatorCore, p: Params) -> Any:
    """sendPhoto."""
    return await _send_media(core, p, "photo")


async def send_chat_action(core: SimulatorCore, p: Params) -> Any:
    """sendChatAction (not rate limited, not a message)."""
    action = p.string("action") or ""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat = core.state.resolve_chat(p.chat_id())
    core.state.check_not_blocked(chat)
    chat.add_event(SimEvent("chat_action", chat.id, action=action))
    return True


def _message_to_edit(core: SimulatorCore, p: Params) -> tuple[ChatState, SimMessage]:
    if p.string("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat_id, message_id = p.chat_id(), p.integer("message_id")
    if chat_id is None:
        raise bad_request("chat_id is empty")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    chat = core.state.resolve_chat(chat_id)
    core.state.check_not_blocked(chat)
    message = chat.messages.get(message_id)
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


def _apply_edit(core: SimulatorCore, chat: ChatState, message: SimMessage) -> Any:
    message.edit_date = core.date()
    message.edit_count += 1
    chat.add_event(SimEvent("edit", chat.id, message, message.body))
    return message.to_api()


async def edit_message_text(core: SimulatorCore, p: Params) -> Any:
    """editMessageText; without reply_markup the inline keyboard is removed, like Telegram."""
    text, entities = _text(p)
    markup = _markup(p, inline_only=True)
    chat, message = _message_to_edit(core, p)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    message.text, message.entities, message.reply_markup = text, entities, markup
    return _apply_edit(core, chat, message)


async def edit_message_reply_markup(core: SimulatorCore, p: Params) -> Any:
    """editMessageReplyMarkup; no reply_markup removes the keyboard."""
    markup = _markup(p, inline_only=True)
    chat, message = _message_to_edit(core, p)
    if markup == message.reply_markup or (not markup and not message.reply_markup):
        raise bad_request(NOT_MODIFIED)
    message.reply_markup = markup
    return _apply_edit(core, chat, message)


async def delete_message(core: SimulatorCore, p: Params) -> Any:
    """deleteMessage."""
    chat = core.state.resolve_chat(p.chat_id())
    message = chat.messages.get(p.integer("message_id") or 0)
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    message.deleted = True
    chat.add_event(SimEvent("delete", chat.id, message, message.body))
    return True


async def answer_callback_query(core: SimulatorCore, p: Params) -> Any:
    """answerCallbackQuery; each press can be answered once."""
    text = p.string("text")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    pending = core.state.callbacks.get(p.string("callback_query_id") or "")
    if pending is None or pending.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    pending.answered = True
    answer = CallbackAnswer(
        callback_query_id=pending.query_id,
        text=text,
        show_alert=p.boolean("show_alert"),
        url=p.string("url"),
        cache_time=p.integer("cache_time"),
    )
    core.state.callback_answers.setdefault(pending.user_id, []).append(answer)
    chat = core.state.chats.get(pending.message.chat_id)
    if chat is not None:
        chat.add_event(SimEvent("callback_answer", chat.id, pending.message, text, answer))
    return True
