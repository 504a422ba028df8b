"""The table from Bot API method name to its implementation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from simulator import api_bot, api_messages
from simulator.core import SimulatorCore
from simulator.params import METHODS, Params

__all__ = ["HANDLERS", "MethodHandler"]

MethodHandler = Callable[[SimulatorCore, Params], Awaitable[Any]]

HANDLERS: dict[str, MethodHandler] = {
    "getMe": api_bot.get_me,
    "logOut": api_bot.log_out,
    "close": api_bot.close,
    "getUpdates": api_bot.get_updates,
    "setWebhook": api_bot.set_webhook,
    "deleteWebhook": api_bot.delete_webhook,
    "getWebhookInfo": api_bot.get_webhook_info,
    "setMyCommands": api_bot.set_my_commands,
    "getMyCommands": api_bot.get_my_commands,
    "deleteMyCommands": api_bot.delete_my_commands,
    "setMyDescription": api_bot.set_my_description,
    "getMyDescription": api_bot.get_my_description,
    "setMyShortDescription": api_bot.set_my_short_description,
    "getMyShortDescription": api_bot.get_my_short_description,
    "sendMessage": api_messages.send_message,
    "sendDocument": api_messages.send_document,
    "sendPhoto": api_messages.send_photo,
    "sendChatAction": api_messages.send_chat_action,
    "editMessageText": api_messages.edit_message_text,
    "editMessageReplyMarkup": api_messages.edit_message_reply_markup,
    "deleteMessage": api_messages.delete_message,
    "answerCallbackQuery": api_messages.answer_callback_query,
}

if set(HANDLERS) != set(METHODS):  # pragma: no cover - a programming error, caught at import
    raise RuntimeError(f"handlers and method specs differ: {set(HANDLERS) ^ set(METHODS)}")
