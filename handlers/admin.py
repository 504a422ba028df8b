"""Operator commands, `/stats` and `/broadcast`: only for NETCOACH_ADMIN_IDS.

For anyone else they answer exactly like an unknown command.
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatAction

from bot.domain.admin import is_admin, network_stats
from bot.domain.broadcasts import cancel_broadcast, confirm_broadcast, prepare_broadcast
from bot.domain.network_stats import network_weeks
from bot.domain.onboarding import load_member
from bot.screens import admin as screens
from bot.screens.callbacks import parse
from bot.screens.review import network_caption, network_chart
from bot.telegram_out import chat_action_while_slow, edit_screen, send_photo, send_screen
from handlers.context import Context, identity_of
from handlers.fallback import unknown_button, unknown_command

__all__ = ["broadcast_button", "broadcast_command", "stats_command"]


async def stats_command(update: Update, context: Context) -> None:
    """Aggregate numbers about the network."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    if not is_admin(runtime, who.telegram_id):
        await unknown_command(update, context)
        return
    member = await load_member(runtime, who)
    stats = await network_stats(runtime)
    await send_screen(context.bot, who.chat_id, screens.stats_screen(stats, member.language))
    # The picture: members active and commitments kept per week, the last twelve weeks.
    async with chat_action_while_slow(context.bot, who.chat_id, ChatAction.UPLOAD_PHOTO):
        chart = network_chart(await network_weeks(runtime), member.language)
        png = await context.bot_data.charts.network_png(chart)
    await send_photo(context.bot, who.chat_id, "stats.png", png, network_caption(member.language))


async def broadcast_command(update: Update, context: Context) -> None:
    """`/broadcast text`: show a preview with a confirm button."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    if not is_admin(runtime, who.telegram_id):
        await unknown_command(update, context)
        return
    member = await load_member(runtime, who)
    message = update.effective_message
    text = (message.text or "").partition(" ")[2].strip() if message else ""
    if not text:
        await send_screen(context.bot, who.chat_id, screens.broadcast_usage(member.language))
        return
    preview = await prepare_broadcast(runtime, who, text)
    await send_screen(context.bot, who.chat_id, screens.broadcast_preview(preview))


async def broadcast_button(update: Update, context: Context) -> None:
    """Send (through the dispatcher, under the rate limit) or cancel the prepared broadcast."""
    query = update.callback_query
    callback = parse(query.data if query else None)
    runtime, who = context.bot_data.runtime, identity_of(update)
    if query is None or callback is None or not is_admin(runtime, who.telegram_id):
        await unknown_button(update, context)
        return
    await query.answer()
    member = await load_member(runtime, who)
    if callback.argument == screens.SEND:
        screen = screens.broadcast_queued(member.language, await confirm_broadcast(runtime, who))
        context.bot_data.dispatcher.kick()
    else:
        await cancel_broadcast(runtime, who)
        screen = screens.broadcast_cancelled(member.language)
    if isinstance(query.message, Message):
        await edit_screen(query.message, screen)
