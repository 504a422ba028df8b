"""The ↩️ undo button under a Done / Release / Snooze / ledger confirmation."""

from __future__ import annotations

from telegram import Message, Update

from bot.domain.undo import undo_tap
from bot.screens.callbacks import parse
from bot.screens.undo import undo_ref, undone_screen
from bot.telegram_out import edit_screen
from content.i18n import catalog
from handlers.context import Context, identity_of
from handlers.fallback import answer_press

__all__ = ["undo_button"]


async def undo_button(update: Update, context: Context) -> None:
    """Undo the member's last tap, while it is still the last and only a few minutes old."""
    query = update.callback_query
    callback = parse(query.data if query else None)
    if query is None or callback is None:
        return
    ref = undo_ref(callback.argument)
    undone = await undo_tap(context.bot_data.runtime, identity_of(update), ref) if ref else None
    if undone is None:
        await answer_press(update, context, accepted=False)
        return
    if undone.expired:
        await query.answer(catalog(undone.member.language).raw("undo.expired"), show_alert=True)
        return
    await query.answer()
    shown = undone_screen(undone)
    if shown is not None and isinstance(query.message, Message):
        await edit_screen(query.message, shown)
