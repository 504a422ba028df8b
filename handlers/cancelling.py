"""`/cancel` and the ✖ button: leave the open flow, nothing saved."""

from __future__ import annotations

from telegram import Message, Update

from bot.domain.cancelling import cancel_flow
from bot.domain.known_members import ensure_member
from bot.screens.cancelling import cancelled_screen
from bot.telegram_out import edit_screen, send_screen
from handlers.context import Context, identity_of

__all__ = ["cancel_button", "cancel_command"]


async def cancel_command(update: Update, context: Context) -> None:
    """`/cancel`: leave whatever question is open."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    await ensure_member(runtime, who)
    outcome = await cancel_flow(runtime, who)
    if outcome is not None:
        await send_screen(context.bot, who.chat_id, cancelled_screen(outcome))


async def cancel_button(update: Update, context: Context) -> None:
    """✖ under a question: the question is replaced by what leaving did."""
    query = update.callback_query
    if query is None:
        return
    runtime, who = context.bot_data.runtime, identity_of(update)
    outcome = await cancel_flow(runtime, who)
    await query.answer()
    if outcome is None:
        return
    if isinstance(query.message, Message):
        await edit_screen(query.message, cancelled_screen(outcome))
    else:
        await send_screen(context.bot, who.chat_id, cancelled_screen(outcome))
