"""Turn screens into Telegram requests: the one place that builds keyboards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot.rate_limit import PACED
from bot.screens import Screen

__all__ = [
    "SLOW_ANSWER_SECONDS",
    "Markup",
    "chat_action_while_slow",
    "edit_buttons",
    "edit_screen",
    "reply_markup",
    "send_file",
    "send_photo",
    "send_screen",
    "send_screens",
]

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove

# An answer slower than this shows what the bot is doing ("sending a photo…").
SLOW_ANSWER_SECONDS = 0.5
# Telegram shows a chat action for five seconds (or until the next message).
_CHAT_ACTION_REPEAT_SECONDS = 4.5


def reply_markup(screen: Screen) -> Markup | None:
    """The keyboard for a screen, if it has one."""
    if screen.buttons:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                for row in screen.buttons
            ]
        )
    if screen.reply_buttons:
        return ReplyKeyboardMarkup(
            [
                [KeyboardButton(b.label, request_location=b.request_location or None) for b in row]
                for row in screen.reply_buttons
            ],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if screen.remove_reply_keyboard:
        return ReplyKeyboardRemove()
    return None


async def send_screen(
    bot: ExtBot[Any],
    chat_id: int,
    screen: Screen,
    *,
    paced_by_caller: bool = False,
    reply_to: int | None = None,
    paid: bool = False,
) -> Message:
    """Send one screen as an HTML message (as a reply to message `reply_to`, if given).

    Replies take a slot from the application's rate limiter, which also retries after a
    429; the dispatcher passes `paced_by_caller=True` because it paces and pauses itself.
    `paid` sends it as a paid broadcast (`allow_paid_broadcast`: beyond the free ceiling,
    for a fee).
    """
    return await bot.send_message(
        chat_id,
        screen.text,
        parse_mode=ParseMode.HTML,
        reply_markup=reply_markup(screen),
        allow_paid_broadcast=True if paid else None,
        rate_limit_args=PACED if paced_by_caller else None,
        reply_parameters=(
            ReplyParameters(reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None
        ),
    )


async def send_file(
    bot: ExtBot[Any], chat_id: int, filename: str, data: bytes, caption: str
) -> Message:
    """Send a file as a document with an HTML caption."""
    return await bot.send_document(
        chat_id,
        InputFile(data, filename=filename),
        caption=caption,
        parse_mode=ParseMode.HTML,
    )


async def send_photo(
    bot: ExtBot[Any], chat_id: int, filename: str, data: bytes, caption: str
) -> Message:
    """Send a picture (PNG or JPEG bytes) with an HTML caption (at most 1024 characters)."""
    return await bot.send_photo(
        chat_id,
        InputFile(data, filename=filename),
        caption=caption,
        parse_mode=ParseMode.HTML,
    )


async def send_screens(bot: ExtBot[Any], chat_id: int, screens: list[Screen]) -> list[Message]:
    """Send screens in order."""
    return [await send_screen(bot, chat_id, screen) for screen in screens]


async def edit_screen(message: Message, screen: Screen) -> None:
    """Replace a message's text and inline buttons (reply keyboards cannot be edited)."""
    markup = reply_markup(screen)
    try:
        await message.edit_text(
            screen.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
        )
    except BadRequest as refused:
        # A button pressed twice (or forged) asks for what is already shown: nothing to do.
        if "message is not modified" not in refused.message.lower():
            raise


async def edit_buttons(message: Message, keyboard: InlineKeyboardMarkup | None) -> None:
    """Replace a message's inline buttons (None: take them all away), keeping its text.

    Through editMessageText with the message's own text: with a default parse mode set,
    python-telegram-bot sends it with editMessageReplyMarkup too, which has no such field.
    """
    try:
        await message.edit_text(message.text_html, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    except BadRequest as refused:
        if "message is not modified" not in refused.message.lower():
            raise


async def _announce(bot: ExtBot[Any], chat_id: int, action: str) -> None:
    while True:
        try:
            await bot.send_chat_action(chat_id, action)
        except TelegramError:
            return  # Only a courtesy: the answer itself still comes.
        await asyncio.sleep(_CHAT_ACTION_REPEAT_SECONDS)


@asynccontextmanager
async def chat_action_while_slow(
    bot: ExtBot[Any], chat_id: int, action: str, *, after: float = SLOW_ANSWER_SECONDS
) -> AsyncIterator[None]:
    """Show `action` (e.g. "upload_photo") in the chat while the block takes longer than `after`.

    A quick block (most answers) costs one timer, no task: the announcing task is only
    started once `after` has passed.
    """
    announcing: list[asyncio.Task[None]] = []

    def start() -> None:
        announcing.append(asyncio.create_task(_announce(bot, chat_id, action)))

    timer = asyncio.get_running_loop().call_later(after, start)
    try:
        yield
    finally:
        timer.cancel()
        for task in announcing:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
