"""Validation of reply markup: inline keyboards, reply keyboards, remove and force reply."""

from __future__ import annotations

from typing import Any

from simulator.errors import ApiError, bad_request

__all__ = ["INLINE_ACTIONS", "validate_reply_markup"]

INLINE_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_INLINE_DECORATIONS = frozenset({"text", "icon_custom_emoji_id", "style"})
_MAX_CALLBACK_BYTES = 64


def _markup_error(detail: str) -> ApiError:
    return bad_request(f"can't parse reply keyboard markup JSON object: {detail}")


def _rows(markup: dict[str, Any], field: str) -> list[list[Any]]:
    rows = markup.get(field)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _markup_error(f'field "{field}" must be an Array of Arrays')
    return rows


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str) or not text:
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    unknown = set(button) - INLINE_ACTIONS - _INLINE_DECORATIONS
    if unknown:
        raise bad_request(f"can't parse inline keyboard button: unknown field {sorted(unknown)[0]}")
    actions = [name for name in button if name in INLINE_ACTIONS]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one action is allowed, got "
            + ", ".join(sorted(actions))
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= _MAX_CALLBACK_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and (not isinstance(button["url"], str) or not button["url"]):
        raise bad_request("BUTTON_URL_INVALID")


def _check_reply_button(button: Any) -> None:
    if isinstance(button, str) and button:
        return
    if isinstance(button, dict) and isinstance(button.get("text"), str) and button["text"]:
        return
    raise _markup_error("KeyboardButton must be a non-empty String or an Object with text")


def validate_reply_markup(markup: dict[str, Any], *, inline_only: bool = False) -> None:
    """Reject reply markup Telegram would reject."""
    if "inline_keyboard" in markup:
        for row in _rows(markup, "inline_keyboard"):
            for button in row:
                _check_inline_button(button)
        return
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        for row in _rows(markup, "keyboard"):
            for button in row:
                _check_reply_button(button)
    elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
        raise _markup_error("expected inline_keyboard, keyboard, remove_keyboard or force_reply")
