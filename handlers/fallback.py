"""Answers for what no other handler took: free text, media, unknown commands, groups."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction, ChatType
from telegram.ext import ApplicationHandlerStop

from bot.domain.cancelling import Cancelled
from bot.domain.commitments import CommitStep
from bot.domain.contact_page import ContactChanged
from bot.domain.drafts import DraftExpired
from bot.domain.inbox import handle_text
from bot.domain.reflections import ReflectionSaved
from bot.domain.stray import offer_for
from bot.screens import Screen
from bot.screens import setup as screens
from bot.screens.cancelling import cancelled_screen
from bot.screens.commitments import commit_step_screens
from bot.screens.contact_page import changed_screen
from bot.screens.drafts import draft_expired_screen
from bot.screens.reflection import reflection_saved
from bot.screens.stray import stray_offer_screen
from bot.telegram_out import chat_action_while_slow, send_screen, send_screens
from content.i18n import catalog, language_for
from handlers.context import Context, identity_of
from handlers.info import send_catalog_text

__all__ = [
    "button_outside_private_chat",
    "group_message",
    "other_message",
    "text_message",
    "unknown_button",
    "unknown_command",
]


async def text_message(update: Update, context: Context) -> None:
    """Free text: a reflection, the answer to an open question, or a pointer to /help."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    runtime, who = context.bot_data.runtime, identity_of(update)
    replied = message.reply_to_message
    # A date or a place in the text may take a moment to read: "typing…" if it does.
    async with chat_action_while_slow(context.bot, who.chat_id, ChatAction.TYPING):
        result = await handle_text(
            runtime,
            who,
            message.text,
            reply_to_message_id=replied.message_id if replied is not None else None,
            message_id=message.message_id,
        )
    if isinstance(result, ReflectionSaved):
        await send_screen(context.bot, who.chat_id, reflection_saved(result))
    elif isinstance(result, CommitStep):
        await send_screens(context.bot, who.chat_id, commit_step_screens(result))
    elif isinstance(result, ContactChanged):
        await send_screen(context.bot, who.chat_id, changed_screen(result))
    elif isinstance(result, DraftExpired):
        await send_screen(context.bot, who.chat_id, draft_expired_screen(result))
    elif isinstance(result, Cancelled):
        await send_screen(context.bot, who.chat_id, cancelled_screen(result))
    elif result is not None:
        now = runtime.clock.now()
        first_name = update.effective_user.first_name if update.effective_user else ""
        await send_screens(
            context.bot, who.chat_id, screens.render_outcome(result, now, first_name)
        )
    else:
        await _offer_a_place(update, context, message.text, message.message_id)


async def _offer_a_place(update: Update, context: Context, text: str, message_id: int) -> None:
    """Text outside any question: offer to keep it (as a note, a meeting, a commitment)."""
    who = identity_of(update)
    offer = await offer_for(context.bot_data.runtime, who, text)
    if offer is None:
        await send_catalog_text(update, context, "fallback.text")
        return
    await send_screen(context.bot, who.chat_id, stray_offer_screen(offer), reply_to=message_id)


async def other_message(update: Update, context: Context) -> None:
    """Stickers, photos, voice and the like: say kindly that only text works."""
    await send_catalog_text(update, context, "fallback.not_text")


async def unknown_command(update: Update, context: Context) -> None:
    """A command netcoach does not know (admin commands look like this to others too)."""
    await send_catalog_text(update, context, "fallback.unknown_command")


async def answer_press(update: Update, context: Context, *, accepted: bool) -> None:
    """Acknowledge a button press, or answer neutrally when it was refused."""
    query = update.callback_query
    if query is not None and accepted:
        await query.answer()
    elif query is not None:
        await unknown_button(update, context)


async def unknown_button(update: Update, context: Context) -> None:
    """A button whose data is not ours or no longer valid: answer neutrally, change nothing.

    Someone else's button, a closed item and forged data all get this same answer.
    """
    query = update.callback_query
    if query is None:
        return
    language = language_for(
        query.from_user.language_code, context.bot_data.runtime.settings.default_language
    )
    await query.answer(catalog(language).raw("fallback.stale_button"))


async def button_outside_private_chat(update: Update, context: Context) -> None:
    """Buttons exist only in private chats: data pressed anywhere else is forged, never acted on.

    Acting on it would show a member's journal or settings to a whole group.
    """
    chat = update.effective_chat
    if update.callback_query is None or (chat is not None and chat.type == ChatType.PRIVATE):
        return
    await unknown_button(update, context)
    raise ApplicationHandlerStop


async def group_message(update: Update, context: Context) -> None:
    """In groups netcoach only says, once per message addressed to it, that it works privately."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None:
        return
    language = language_for(
        user.language_code if user else None, context.bot_data.runtime.settings.default_language
    )
    await send_screen(context.bot, chat.id, Screen(catalog(language)("fallback.group")))
