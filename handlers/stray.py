"""Stray text in the chat: the offer's buttons (keep as a note, a meeting, a commitment)."""

from __future__ import annotations

from telegram import Message, Update

from bot.domain import commitments, stray
from bot.screens import Screen
from bot.screens import stray as screens
from bot.screens.callbacks import parse
from bot.screens.commitments import commit_step_screens
from bot.screens.contacts import met_screen
from bot.screens.reflection import reflection_saved
from bot.telegram_out import edit_screen, send_screens
from handlers.context import Context, identity_of
from handlers.fallback import answer_press

__all__ = ["stray_button"]


def _stray_text(update: Update) -> Message | None:
    """The member's own message the offer answered (Telegram sends it along, unforgeable)."""
    query = update.callback_query
    offer = query.message if query is not None else None
    original = offer.reply_to_message if isinstance(offer, Message) else None
    if original is None or original.text is None or query is None:
        return None
    if original.from_user is None or original.from_user.id != query.from_user.id:
        return None
    return original


async def stray_button(update: Update, context: Context) -> None:
    """Keep a stray text as a note, a meeting's note, or read it as a commitment."""
    query = update.callback_query
    callback = parse(query.data if query else None)
    original = _stray_text(update)
    if query is None or callback is None or original is None or original.text is None:
        await answer_press(update, context, accepted=False)
        return
    runtime, who, text = context.bot_data.runtime, identity_of(update), original.text
    offer = query.message if isinstance(query.message, Message) else None
    if callback.kind == screens.AS_NOTE:
        saved = await stray.keep_as_note(runtime, who, text, original.message_id)
        await answer_press(update, context, accepted=saved is not None)
        if saved is not None and offer is not None:
            await edit_screen(offer, reflection_saved(saved))
        return
    if callback.kind == screens.AS_MEETING:
        met = await stray.log_meeting_from_text(runtime, who, text)
        await answer_press(update, context, accepted=met is not None)
        if met is not None and offer is not None:
            await edit_screen(offer, met_screen(met))
        return
    step = await commitments.commit_line(runtime, who, text)
    await answer_press(update, context, accepted=step is not None)
    if step is not None:
        if offer is not None:  # the offer is taken: its buttons go
            await edit_screen(offer, Screen(offer.text_html))
        await send_screens(context.bot, who.chat_id, commit_step_screens(step))
