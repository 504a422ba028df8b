"""All handler registration in one place; the order matters and is explained here."""

from __future__ import annotations

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
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
from bot.screens import privacy as privacy_screens
from bot.screens import prompt as prompt_screens
from bot.screens import reflection as reflection_screens
from bot.screens import review as review_screens
from bot.screens import setup as setup_screens
from content.i18n import LANGUAGES, catalog
from handlers import admin, cancelling, commitments, fallback, info, privacy, prompts, review, setup
from handlers.context import NetcoachApplication
from handlers.errors import error_handler

__all__ = ["COMMANDS", "DRESSING", "register_handlers", "set_bot_commands"]

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
        CallbackQueryHandler(prompts.prompt_button, pattern=rf"^(?:{_PROMPT_BUTTONS}):\d+$")
    )
    application.add_handler(
        CallbackQueryHandler(prompts.journal_button, pattern=rf"^{reflection_screens.JOURNAL}:\d+$")
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
    """Register the command menu in German and English (and the default language for others)."""
    scope = BotCommandScopeAllPrivateChats()
    for language in LANGUAGES:
        t = catalog(language)
        commands = [BotCommand(name, t.raw(f"command.{name}")) for name in COMMANDS]
        await application.bot.set_my_commands(commands, scope=scope, language_code=language)
    default = application.bot_data.runtime.settings.default_language
    t = catalog(default)
    await application.bot.set_my_commands(
        [BotCommand(name, t.raw(f"command.{name}")) for name in COMMANDS], scope=scope
    )


# Calls that only dress the bot: made once it serves, retried in the background until
# they succeed (`bot.dressing`); a failure never keeps members from their answers.
DRESSING = (Dressing("the command menu", set_bot_commands),)
