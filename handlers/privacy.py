"""`/privacy` lives in handlers.info; here `/export` and `/delete` with its confirmation."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatAction

from bot.domain.known_members import ensure_member
from bot.domain.onboarding import member_language
from bot.domain.privacy import delete_member, export_member
from bot.screens import privacy as screens
from bot.screens.callbacks import parse
from bot.telegram_out import chat_action_while_slow, edit_screen, send_file, send_screen
from content.i18n import language_for
from handlers.context import Context, identity_of

__all__ = ["delete_button", "delete_command", "export_command"]


async def export_command(update: Update, context: Context) -> None:
    """Send everything stored about the member as JSON and as Markdown."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    # A long history takes a while to gather, decrypt and upload.
    async with chat_action_while_slow(context.bot, who.chat_id, ChatAction.UPLOAD_DOCUMENT):
        await ensure_member(runtime, who)
        export = await export_member(runtime, who)
        if export is None:
            return
        language = export.language
        await send_file(
            context.bot,
            who.chat_id,
            "netcoach-export.json",
            export.json_bytes,
            screens.export_caption(language, "json"),
        )
        await send_file(
            context.bot,
            who.chat_id,
            "netcoach-export.md",
            export.markdown_bytes,
            screens.export_caption(language, "markdown"),
        )


async def _language(update: Update, context: Context) -> str:
    """The member's language if they are known, else Telegram's (nothing is created)."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    known = await member_language(runtime, who)
    return known or language_for(who.language_code, runtime.settings.default_language)


async def delete_command(update: Update, context: Context) -> None:
    """Ask for confirmation before deleting everything."""
    screen = screens.delete_asked(await _language(update, context))
    await send_screen(context.bot, identity_of(update).chat_id, screen)


async def delete_button(update: Update, context: Context) -> None:
    """Delete everything (confirmed) or nothing (cancelled)."""
    query = update.callback_query
    callback = parse(query.data if query else None)
    if query is None or callback is None:
        return
    await query.answer()
    language = await _language(update, context)
    if callback.argument == screens.CONFIRM:
        await delete_member(context.bot_data.runtime, identity_of(update))
        screen = screens.delete_done(language)
    else:
        screen = screens.delete_cancelled(language)
    if isinstance(query.message, Message):
        await edit_screen(query.message, screen)
