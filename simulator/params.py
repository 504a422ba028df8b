"""Accepted parameters per Bot API method and their decoding from HTTP values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from simulator.errors import ApiError, bad_request

__all__ = [
    "METHODS",
    "Kind",
    "MethodSpec",
    "Params",
    "Upload",
    "decode_params",
    "file_marker",
    "find_method",
]


class Kind(Enum):
    """How a parameter value is decoded."""

    INTEGER = "Integer"
    STRING = "String"
    BOOLEAN = "Boolean"
    FLOAT = "Float"
    CHAT_ID = "Integer or String"
    INPUT_FILE = "InputFile or String"
    OBJECT = "Object"
    ARRAY = "Array"


@dataclass(frozen=True, slots=True)
class Upload:
    """A file received in a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """One Bot API method: official name, accepted parameters, required ones."""

    name: str
    params: Mapping[str, Kind]
    required: frozenset[str]
    is_send: bool = False


INT, S, B = Kind.INTEGER, Kind.STRING, Kind.BOOLEAN
CHAT, FILE, OBJ, ARR = Kind.CHAT_ID, Kind.INPUT_FILE, Kind.OBJECT, Kind.ARRAY

_SEND_COMMON: dict[str, Kind] = {
    "business_connection_id": S,
    "chat_id": CHAT,
    "message_thread_id": INT,
    "direct_messages_topic_id": INT,
    "disable_notification": B,
    "protect_content": B,
    "allow_paid_broadcast": B,
    "message_effect_id": S,
    "suggested_post_parameters": OBJ,
    "reply_parameters": OBJ,
    "reply_markup": OBJ,
}
_CAPTION: dict[str, Kind] = {"caption": S, "parse_mode": S, "caption_entities": ARR}
_EDIT_TARGET: dict[str, Kind] = {
    "business_connection_id": S,
    "chat_id": CHAT,
    "message_id": INT,
    "inline_message_id": S,
}
_COMMAND_TARGET: dict[str, Kind] = {"scope": OBJ, "language_code": S}


def _spec(name: str, params: dict[str, Kind], required: tuple[str, ...] = ()) -> MethodSpec:
    # sendChatAction is not a message: it is neither rate limited nor counted as a send.
    is_send = name.startswith("send") and name != "sendChatAction"
    return MethodSpec(name, params, frozenset(required), is_send=is_send)


METHODS: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in (
        _spec("getMe", {}),
        _spec("logOut", {}),
        _spec("close", {}),
        _spec("getUpdates", {"offset": INT, "limit": INT, "timeout": INT, "allowed_updates": ARR}),
        _spec(
            "setWebhook",
            {
                "url": S,
                "certificate": FILE,
                "ip_address": S,
                "max_connections": INT,
                "allowed_updates": ARR,
                "drop_pending_updates": B,
                "secret_token": S,
            },
            ("url",),
        ),
        _spec("deleteWebhook", {"drop_pending_updates": B}),
        _spec("getWebhookInfo", {}),
        _spec("setMyCommands", {"commands": ARR, **_COMMAND_TARGET}, ("commands",)),
        _spec("getMyCommands", dict(_COMMAND_TARGET)),
        _spec("deleteMyCommands", dict(_COMMAND_TARGET)),
        _spec("setMyDescription", {"description": S, "language_code": S}),
        _spec("getMyDescription", {"language_code": S}),
        _spec("setMyShortDescription", {"short_description": S, "language_code": S}),
        _spec("getMyShortDescription", {"language_code": S}),
        _spec(
            "sendMessage",
            {
                **_SEND_COMMON,
                "text": S,
                "parse_mode": S,
                "entities": ARR,
                "link_preview_options": OBJ,
            },
            ("chat_id", "text"),
        ),
        _spec(
            "sendDocument",
            {
                **_SEND_COMMON,
                **_CAPTION,
                "document": FILE,
                "thumbnail": FILE,
                "disable_content_type_detection": B,
            },
            ("chat_id", "document"),
        ),
        _spec(
            "sendPhoto",
            {
                **_SEND_COMMON,
                **_CAPTION,
                "photo": FILE,
                "show_caption_above_media": B,
                "has_spoiler": B,
            },
            ("chat_id", "photo"),
        ),
        _spec(
            "sendChatAction",
            {"business_connection_id": S, "chat_id": CHAT, "message_thread_id": INT, "action": S},
            ("chat_id", "action"),
        ),
        _spec(
            "editMessageText",
            {
                **_EDIT_TARGET,
                "text": S,
                "parse_mode": S,
                "entities": ARR,
                "link_preview_options": OBJ,
                "rich_message": OBJ,
                "reply_markup": OBJ,
            },
        ),
        _spec("editMessageReplyMarkup", {**_EDIT_TARGET, "reply_markup": OBJ}),
        _spec("deleteMessage", {"chat_id": CHAT, "message_id": INT}, ("chat_id", "message_id")),
        _spec(
            "answerCallbackQuery",
            {"callback_query_id": S, "text": S, "show_alert": B, "url": S, "cache_time": INT},
            ("callback_query_id",),
        ),
    )
}
_BY_LOWER: dict[str, MethodSpec] = {name.lower(): spec for name, spec in METHODS.items()}


def find_method(name: str) -> MethodSpec | None:
    """Look a method up case-insensitively, like Telegram does."""
    return _BY_LOWER.get(name.lower())


def file_marker(upload: Upload) -> dict[str, Any]:
    """Return the small dict recorded in place of an uploaded file."""
    return {"input_file": True, "filename": upload.filename, "size": len(upload.data)}


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


def _decode_one(name: str, kind: Kind, value: object, uploads: Mapping[str, Upload]) -> object:
    """Decode one value; raise a 400 ApiError when it does not fit its kind."""
    if kind is Kind.STRING:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    elif kind is Kind.INTEGER or kind is Kind.CHAT_ID:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip()
            try:
                return int(text)
            except ValueError:
                if kind is Kind.CHAT_ID and text:
                    return text
    elif kind is Kind.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        if isinstance(value, int):
            return bool(value)
    elif kind is Kind.FLOAT:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif kind is Kind.INPUT_FILE:
        if isinstance(value, Upload):
            return value
        if isinstance(value, str):
            if value.startswith("attach://"):
                attached = uploads.get(value.removeprefix("attach://"))
                if attached is None:
                    raise bad_request(f"wrong file identifier/HTTP URL specified ({name})")
                return attached
            return value
    else:
        wanted: type = dict if kind is Kind.OBJECT else list
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        if isinstance(value, wanted):
            return value
    raise bad_request(f'parameter "{name}" must be {_article(kind)}')


def _article(kind: Kind) -> str:
    label = str(kind.value)
    if kind in (Kind.OBJECT, Kind.ARRAY):
        return "a JSON " + label
    return ("an " if label[0] in "AEIOU" else "a ") + label


def decode_params(
    spec: MethodSpec, raw: Mapping[str, object], uploads: Mapping[str, Upload]
) -> dict[str, object]:
    """Decode raw HTTP values to Python values per the method's parameter kinds."""
    decoded: dict[str, object] = {}
    kinds = spec.params
    for name, value in raw.items():
        kind = kinds.get(name)
        if kind is None:
            raise bad_request(f"unknown parameter {name}")
        if value is None:
            continue
        decoded[name] = _decode_one(name, kind, value, uploads)
    for name in spec.required:
        if name not in decoded:
            raise ApiError(400, f"Bad Request: {name} is required")
    return decoded


class Params:
    """Typed read access to decoded parameters."""

    __slots__ = ("values",)

    def __init__(self, values: Mapping[str, object]) -> None:
        self.values = values

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def integer(self, name: str) -> int | None:
        """Return an Integer parameter or None."""
        value = self.values.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def string(self, name: str) -> str | None:
        """Return a String parameter or None."""
        value = self.values.get(name)
        return value if isinstance(value, str) else None

    def boolean(self, name: str, default: bool = False) -> bool:
        """Return a Boolean parameter or the default."""
        value = self.values.get(name)
        return value if isinstance(value, bool) else default

    def chat_id(self, name: str = "chat_id") -> int | str | None:
        """Return a chat id (Integer or @username) or None."""
        value = self.values.get(name)
        return value if isinstance(value, int | str) and not isinstance(value, bool) else None

    def json_object(self, name: str) -> dict[str, Any] | None:
        """Return a JSON object parameter or None."""
        value = self.values.get(name)
        return value if isinstance(value, dict) else None

    def json_array(self, name: str) -> list[Any] | None:
        """Return a JSON array parameter or None."""
        value = self.values.get(name)
        return value if isinstance(value, list) else None

    def file(self, name: str) -> Upload | str | None:
        """Return an uploaded file, a file id/URL string, or None."""
        value = self.values.get(name)
        return value if isinstance(value, Upload | str) else None
