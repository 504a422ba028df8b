"""All handler registration in one place; the order matters and is explained here."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat, Update
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.dressing import Dressing
from bot.screens import admin as admin_screens
from bot.screens import cancelling as cancelling_screens
from bot.screens import contact_page as contact_page_screens
from bot.screens import digest as digest_screens
from bot.screens import journal as journal_screens
from bot.screens import privacy as privacy_screens
from bot.screens import prompt as prompt_screens
from bot.screens import reflection as reflection_screens
from bot.screens import reflection_answers as reflection_answer_screens
from bot.screens import review as review_screens
from bot.screens import setup as setup_screens
from bot.screens import stray as stray_screens
from bot.screens import undo as undo_screens
from content.i18n import LANGUAGES, catalog
from handlers import (
    admin,
    cancelling,
    commitments,
    contacts,
    digest,
    fallback,
    info,
    journal,
    privacy,
    prompts,
    reflection_answers,
    review,
    setup,
    stray,
    undo,
)
from handlers.context import NetcoachApplication
from handlers.errors import error_handler

__all__ = [
    "ADMIN_COMMANDS",
    "ALLOWED_UPDATES",
    "COMMANDS",
    "DRESSING",
    "register_handlers",
    "set_admin_menus",
    "set_bot_commands",
    "set_bot_descriptions",
]

log = logging.getLogger("netcoach")

# Commands shown in Telegram's menu, in this order; descriptions come from the catalogs.
COMMANDS = (
    "start",
    "next",
    "reflect",
    "journal",
    "pause",
    "resume",
    "commit",
    "commitments",
    "kept",
    "review",
    "contacts",
    "contact",
    "met",
    "settings",
    "language",
    "timezone",
    "schedule",
    "cancel",
    "help",
    "about",
    "privacy",
    "export",
    "delete",
)

# Added to the menu in admins' own chats only (a menu scoped to each admin's chat).
ADMIN_COMMANDS = ("stats", "broadcast")

# The update types the handlers below take; Telegram sends no others (`allowed_updates`),
# so nobody's channel posts, inline queries or reactions cost the bot a request.
ALLOWED_UPDATES = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
)

_COMMAND_CALLBACKS = {
    "start": setup.start_command,
    "next": prompts.next_command,
    "reflect": prompts.reflect_command,
    "journal": prompts.journal_command,
    "pause": prompts.pause_command,
    "resume": prompts.resume_command,
    "commit": commitments.commit_command,
    "commitments": commitments.commitments_command,
    "kept": commitments.kept_command,
    "review": review.review_command,
    "contacts": commitments.contacts_command,
    "contact": commitments.contact_command,
    "met": commitments.met_command,
    "settings": setup.settings_command,
    "language": setup.language_command,
    "timezone": setup.timezone_command,
    "schedule": setup.schedule_command,
    "cancel": cancelling.cancel_command,
    "help": info.help_command,
    "about": info.about_command,
    "privacy": info.privacy_command,
    "export": privacy.export_command,
    "delete": privacy.delete_command,
}

_PROMPT_BUTTONS = "|".join(
    (prompt_screens.REFLECT, prompt_screens.ANOTHER_QUESTION, prompt_screens.SKIP)
)
# A button of a digest's item carries its number there (`bot.screens.callbacks.in_digest`).
_IN_DIGEST = r"(?:~\d+)?"
_SETUP_BUTTONS = "|".join(
    (
        setup_screens.LANGUAGE,
        setup_screens.TIMEZONE,
        setup_screens.WEEKDAY,
        setup_screens.TIME,
        setup_screens.CHANGE,
    )
)


def register_handlers(application: NetcoachApplication) -> None:
    """Add every handler to group 0 (first match wins) and the error handler."""
    # A private message without a sender is malformed: no handler takes it.
    private = filters.ChatType.PRIVATE & filters.USER
    new_message = filters.UpdateType.MESSAGE
    # Before everything (group -1): button presses outside private chats stop here.
    application.add_handler(TypeHandler(Update, fallback.button_outside_private_chat), group=-1)
    # Groups first: whatever reaches the bot there gets one line and nothing else.
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & new_message & filters.COMMAND, fallback.group_message
        )
    )
    for name, callback in _COMMAND_CALLBACKS.items():
        application.add_handler(CommandHandler(name, callback, filters=private & new_message))
    # Admin commands are not in the public menu; for non-admins they act as unknown commands.
    application.add_handler(
        CommandHandler("stats", admin.stats_command, filters=private & new_message)
    )
    application.add_handler(
        CommandHandler("broadcast", admin.broadcast_command, filters=private & new_message)
    )
    application.add_handler(
        CallbackQueryHandler(
            cancelling.cancel_button, pattern=rf"^{cancelling_screens.CANCEL_FLOW}:$"
        )
    )
    application.add_handler(
        CallbackQueryHandler(setup.setup_button, pattern=rf"^(?:{_SETUP_BUTTONS}):")
    )
    application.add_handler(
        CallbackQueryHandler(
            prompts.prompt_button, pattern=rf"^(?:{_PROMPT_BUTTONS}):\d+{_IN_DIGEST}$"
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            digest.open_item_button, pattern=rf"^{digest_screens.OPEN_ITEM}:\d+{_IN_DIGEST}$"
        )
    )
    application.add_handler(
        CallbackQueryHandler(prompts.journal_button, pattern=rf"^{reflection_screens.JOURNAL}:\d+$")
    )
    application.add_handler(
        CallbackQueryHandler(
            journal.entry_button, pattern=rf"^(?:{'|'.join(journal_screens.BUTTON_KINDS)}):"
        )
    )
    application.add_handler(
        CallbackQueryHandler(undo.undo_button, pattern=rf"^{undo_screens.UNDO}:")
    )
    application.add_handler(
        CallbackQueryHandler(
            stray.stray_button, pattern=rf"^(?:{'|'.join(stray_screens.BUTTON_KINDS)}):"
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            reflection_answers.new_contact_button,
            pattern=rf"^(?:{'|'.join(reflection_answer_screens.BUTTON_KINDS)}):",
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            contacts.contact_button,
            pattern=rf"^(?:{'|'.join(contact_page_screens.BUTTON_KINDS)}):",
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            commitments.commitment_button, pattern=rf"^(?:{'|'.join(commitments.BUTTON_KINDS)}):"
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            privacy.delete_button,
            pattern=rf"^{privacy_screens.DELETE}:(?:{privacy_screens.CONFIRM}|{privacy_screens.CANCEL})$",
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            admin.broadcast_button,
            pattern=rf"^{admin_screens.BROADCAST}:(?:{admin_screens.SEND}|{admin_screens.CANCEL})$",
        )
    )
    application.add_handler(
        CallbackQueryHandler(
            review.review_placement_button, pattern=rf"^{review_screens.REVIEW_PLACEMENT}:"
        )
    )
    # Any other callback data is forged or from an old version: answered, never acted on.
    application.add_handler(CallbackQueryHandler(fallback.unknown_button))
    # An edited message changes the reflection kept from it (nothing else looks at edits).
    application.add_handler(
        MessageHandler(
            private & filters.UpdateType.EDITED_MESSAGE & filters.TEXT, journal.edited_message
        )
    )
    application.add_handler(
        MessageHandler(private & new_message & filters.LOCATION, setup.location_message)
    )
    application.add_handler(
        MessageHandler(
            private & new_message & filters.TEXT & ~filters.COMMAND, fallback.text_message
        )
    )
    # Unknown commands come after the known ones, which already took theirs.
    application.add_handler(
        MessageHandler(private & new_message & filters.COMMAND, fallback.unknown_command)
    )
    application.add_handler(MessageHandler(private & new_message, fallback.other_message))
    application.add_handler(
        ChatMemberHandler(prompts.chat_member_update, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_error_handler(error_handler)


async def set_bot_commands(application: NetcoachApplication) -> None:
    """The command menu in German and English (and the default language for others)."""
    default = application.bot_data.runtime.settings.default_language
    everyone = BotCommandScopeAllPrivateChats()
    for language in (*LANGUAGES, None):
        menu = _menu(language or default, COMMANDS)
        await application.bot.set_my_commands(menu, scope=everyone, language_code=language)


async def set_admin_menus(application: NetcoachApplication) -> None:
    """Admins (`NETCOACH_ADMIN_IDS`) get a menu with the admin commands, in their chat only.

    Telegram refuses a menu for a chat that does not exist yet: an admin who has never
    written to the bot gets theirs at the next start.
    """
    settings = application.bot_data.runtime.settings
    for admin_id in sorted(settings.admin_ids):
        scope = BotCommandScopeChat(admin_id)
        try:
            for language in (*LANGUAGES, None):
                menu = _menu(language or settings.default_language, COMMANDS + ADMIN_COMMANDS)
                await application.bot.set_my_commands(menu, scope=scope, language_code=language)
        except BadRequest as problem:
            log.info("no admin menu for %d yet (%s)", admin_id, problem.message)


def _menu(language: str, names: tuple[str, ...]) -> list[BotCommand]:
    t = catalog(language)
    return [BotCommand(name, t.raw(f"command.{name}")) for name in names]


async def set_bot_descriptions(application: NetcoachApplication) -> None:
    """What a newcomer reads before pressing Start, and the profile's short text."""
    bot = application.bot
    default = application.bot_data.runtime.settings.default_language
    for language in (*LANGUAGES, None):
        t = catalog(language or default)
        await bot.set_my_description(t.raw("bot.description"), language_code=language)
        await bot.set_my_short_description(t.raw("bot.short_description"), language_code=language)


# Calls that only dress the bot: made once it serves, retried in the background until
# they succeed (`bot.dressing`); a failure never keeps members from their answers.
DRESSING = (
    Dressing("the command menu", set_bot_commands),
    Dressing("the admins' menu", set_admin_menus),
    Dressing("the description", set_bot_descriptions),
)
