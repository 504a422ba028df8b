"""Buttons pressed in a digest: answers in a message of their own, the digest keeps the rest.

A screen that would replace the pressed message (a follow-up's "done", the card's next
question) must not replace a digest, whose other items keep their buttons: it is sent as
a reply to the digest instead, and the pressed item's buttons leave the digest's keyboard.
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.domain.prompts import delivery_on_its_own
from bot.screens import Screen
from bot.screens.callbacks import Callback, number, parse
from bot.screens.outgoing import outgoing_screen
from bot.telegram_out import edit_buttons, edit_screen, send_screen
from handlers.context import Context, identity_of
from handlers.fallback import unknown_button

__all__ = ["open_item_button", "show_answer"]


def _without_item(markup: InlineKeyboardMarkup | None, item: int) -> InlineKeyboardMarkup | None:
    """The digest's keyboard without item `item`'s buttons (None: no buttons left)."""
    rows = []
    for row in markup.inline_keyboard if markup is not None else ():
        kept = [button for button in row if not _of_item(button, item)]
        if kept:
            rows.append(kept)
    return InlineKeyboardMarkup(rows) if rows else None


def _of_item(button: InlineKeyboardButton, item: int) -> bool:
    data = button.callback_data if isinstance(button.callback_data, str) else None
    callback = parse(data)
    return callback is not None and callback.digest_item == item


async def show_answer(
    query: CallbackQuery, callback: Callback, screen: Screen, context: Context
) -> None:
    """Put a button's answer in place of the pressed message, or beside it in a digest."""
    message = query.message
    if not isinstance(message, Message):
        return
    if callback.digest_item is None:
        await edit_screen(message, screen)
        return
    await send_screen(context.bot, message.chat.id, screen, reply_to=message.message_id)
    keyboard = _without_item(message.reply_markup, callback.digest_item)
    if keyboard != message.reply_markup:
        await edit_buttons(message, keyboard)


async def open_item_button(update: Update, context: Context) -> None:
    """A digest's item whose buttons did not fit: sent on its own, with all of its buttons."""
    query = update.callback_query
    callback = parse(query.data if query else None)
    delivery_id = number(callback.argument) if callback is not None else None
    if query is None or callback is None:
        return
    runtime, who = context.bot_data.runtime, identity_of(update)
    item = await delivery_on_its_own(runtime, who, delivery_id) if delivery_id else None
    if item is None:
        await unknown_button(update, context)
        return
    await query.answer()
    await show_answer(query, callback, outgoing_screen(item), context)
