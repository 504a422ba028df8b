"""One journal entry in the chat: open in full, delete with a confirm, edit by editing."""

from __future__ import annotations

from telegram import Message, Update

from bot.domain import journal
from bot.screens import journal as screens
from bot.screens.callbacks import number, parse
from bot.telegram_out import edit_screen, send_screen, send_screens
from handlers.context import Context, identity_of
from handlers.fallback import answer_press

__all__ = ["edited_message", "entry_button"]


async def entry_button(update: Update, context: Context) -> None:
    """Open / delete / confirm / keep, on a reflection that must be the presser's own."""
    query = update.callback_query
    callback = parse(query.data if query else None)
    if query is None or callback is None:
        return
    runtime, who = context.bot_data.runtime, identity_of(update)
    reflection_id = number(callback.argument)
    if reflection_id is None:  # not an id of ours: forged
        await answer_press(update, context, accepted=False)
        return
    if callback.kind == screens.DELETE_CONFIRM:
        deleted = await journal.delete_entry(runtime, who, reflection_id)
        await answer_press(update, context, accepted=deleted is not None)
        if deleted is not None and isinstance(query.message, Message):
            await edit_screen(query.message, screens.deleted_screen(deleted))
        return
    view = await journal.open_entry(runtime, who, reflection_id)
    await answer_press(update, context, accepted=view is not None)
    if view is None:
        return
    if callback.kind == screens.OPEN:
        await send_screens(context.bot, who.chat_id, screens.entry_screens(view))
    elif isinstance(query.message, Message):
        ask = callback.kind == screens.DELETE
        shown = screens.delete_ask_screen(view) if ask else screens.entry_actions_screen(view)
        await edit_screen(query.message, shown)


async def edited_message(update: Update, context: Context) -> None:
    """The member edited a message: the reflection kept from it changes with it."""
    message = update.edited_message
    if message is None or message.text is None:
        return
    text = message.text
    if text.startswith("/"):  # `/reflect my thoughts`: the thoughts, without the command
        command, *rest = text.split(maxsplit=1)
        if command.partition("@")[0] != "/reflect":
            return
        text = rest[0] if rest else ""
    runtime, who = context.bot_data.runtime, identity_of(update)
    edited = await journal.edit_reflection(runtime, who, message.message_id, text)
    if edited is not None:
        await send_screen(context.bot, who.chat_id, screens.reflection_edited_screen(edited))
