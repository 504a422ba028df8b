"""The one global error handler: log what failed, never the message text."""

from __future__ import annotations

import logging

from telegram import Update

from bot.domain.known_members import recall_member
from bot.screens import Screen
from bot.telegram_out import send_screen
from content.i18n import catalog, language_for
from handlers.context import Context, identity_of

__all__ = ["error_handler"]

log = logging.getLogger("netcoach.errors")


async def _language_of(update: Update, context: Context) -> str:
    """The member's chosen language; Telegram's guess when it cannot be read (the failure)."""
    runtime = context.bot_data.runtime
    user = update.effective_user
    guess = language_for(user.language_code if user else None, runtime.settings.default_language)
    if user is None:
        return guess
    try:
        known = await recall_member(runtime, identity_of(update))
    except Exception:  # the database may be what failed: the apology goes out anyway
        return guess
    return known.language if known is not None else guess


async def error_handler(update: object, context: Context) -> None:
    """Log the exception with the update's kind and ids only, and tell the member to retry."""
    kind = "unknown"
    chat_id: int | None = None
    if isinstance(update, Update):
        kind = next(
            (
                name
                for name in ("message", "callback_query", "edited_message")
                if getattr(update, name)
            ),
            "other",
        )
        chat_id = update.effective_chat.id if update.effective_chat else None
    log.error(
        "update of kind %s in chat %s failed: %s",
        kind,
        chat_id,
        type(context.error).__name__,
        exc_info=context.error,
    )
    if (
        isinstance(update, Update)
        and update.effective_chat
        and update.effective_chat.type == "private"
    ):
        language = await _language_of(update, context)
        try:
            await send_screen(
                context.bot, update.effective_chat.id, Screen(catalog(language)("error.generic"))
            )
        except Exception:
            log.warning("could not tell chat %s about the failure", update.effective_chat.id)
