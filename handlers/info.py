"""Static information: `/help`, `/about`, `/privacy`."""

from __future__ import annotations

from telegram import Update

from bot.domain.known_members import ensure_member
from bot.domain.onboarding import load_member
from bot.screens import Screen
from bot.screens.privacy import privacy_screen
from bot.telegram_out import send_screen
from content.i18n import catalog
from handlers.context import Context, identity_of

__all__ = ["about_command", "help_command", "privacy_command", "send_catalog_text"]


async def send_catalog_text(update: Update, context: Context, key: str) -> None:
    """Answer with one catalog text in the member's language."""
    who = identity_of(update)
    language = await ensure_member(context.bot_data.runtime, who)
    await send_screen(context.bot, who.chat_id, Screen(catalog(language)(key)))


async def help_command(update: Update, context: Context) -> None:
    """List the commands with one example each."""
    await send_catalog_text(update, context, "help.text")


async def about_command(update: Update, context: Context) -> None:
    """What netcoach is and where its ideas come from."""
    await send_catalog_text(update, context, "about.text")


async def privacy_command(update: Update, context: Context) -> None:
    """What is stored, why, who can see it, how it is protected and for how long."""
    runtime = context.bot_data.runtime
    member = await load_member(runtime, identity_of(update))
    screen = privacy_screen(
        member.language,
        encrypted=runtime.settings.encryption_key is not None,
        retention_days=runtime.settings.retention_days,
        draft_days=runtime.settings.draft_days,
    )
    await send_screen(context.bot, member.chat_id, screen)
