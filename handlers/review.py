"""`/review` with its picture, and the settings button for where the weekly review goes."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatAction

from bot.domain.known_members import ensure_member
from bot.domain.review import review_for_member, set_review_placement
from bot.screens.callbacks import parse
from bot.screens.review import review_photo
from bot.screens.setup import settings_overview
from bot.telegram_out import chat_action_while_slow, edit_screen, send_photo, send_screen
from handlers.context import Context, identity_of

__all__ = ["review_command", "review_placement_button"]


async def review_command(update: Update, context: Context) -> None:
    """The last twelve weeks as a picture, with this week's review as its caption."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    async with chat_action_while_slow(context.bot, who.chat_id, ChatAction.UPLOAD_PHOTO):
        await ensure_member(runtime, who)
        result = await review_for_member(runtime, who)
        if result is None:
            return
        photo = review_photo(result)
        # Drawn in a worker process: neither the bot's memory nor its event loop pays.
        png = await context.bot_data.charts.progress_png(photo.chart)
    await send_photo(context.bot, who.chat_id, "review.png", png, photo.caption)
    if photo.follow_up is not None:
        await send_screen(context.bot, who.chat_id, photo.follow_up)


async def review_placement_button(update: Update, context: Context) -> None:
    """In `/settings`: the weekly review inside the prompt, or as a message of its own."""
    query = update.callback_query
    if query is None:
        return
    runtime, who = context.bot_data.runtime, identity_of(update)
    parsed = parse(query.data)
    # Callback data is never trusted: an unknown choice changes nothing.
    member = await set_review_placement(runtime, who, parsed.argument if parsed else "")
    await query.answer()
    if member is not None and isinstance(query.message, Message):
        await edit_screen(query.message, settings_overview(member, runtime.clock.now()))
