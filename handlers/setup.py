"""Onboarding and settings: `/start`, `/settings`, `/language`, `/timezone`, `/schedule`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from telegram import Message, Update
from telegram.constants import ChatAction, ParseMode

from bot.domain import onboarding
from bot.domain.members import Identity
from bot.domain.onboarding import FlowOutcome, Step
from bot.domain.runtime import Runtime
from bot.screens import setup as screens
from bot.screens.callbacks import number, parse
from bot.telegram_out import chat_action_while_slow, send_screens
from handlers.context import Context, identity_of

__all__ = [
    "language_command",
    "location_message",
    "schedule_command",
    "settings_command",
    "setup_button",
    "start_command",
    "timezone_command",
]


async def _show(update: Update, context: Context, outcome: FlowOutcome) -> None:
    chat = update.effective_chat
    user = update.effective_user
    if chat is None:
        return
    now = context.bot_data.runtime.clock.now()
    first_name = user.first_name if user else ""
    await send_screens(context.bot, chat.id, screens.render_outcome(outcome, now, first_name))


async def start_command(update: Update, context: Context) -> None:
    """Greet a new member, or show a returning one their settings.

    An invite link's code (`t.me/<bot>?start=<code>`) comes as the command's argument.
    """
    code = context.args[0] if context.args else None
    outcome = await onboarding.start(context.bot_data.runtime, identity_of(update), code)
    await _show(update, context, outcome)


async def settings_command(update: Update, context: Context) -> None:
    """Show the current settings with buttons to change them."""
    runtime = context.bot_data.runtime
    member = await onboarding.load_member(runtime, identity_of(update))
    screen = screens.settings_overview(member, runtime.clock.now())
    await send_screens(context.bot, member.chat_id, [screen])


async def _one_setting(
    update: Update,
    context: Context,
    step: Step,
    apply: Callable[[Runtime, Identity, str], Awaitable[FlowOutcome]],
) -> None:
    """A settings command: apply its argument, or ask with buttons when there is none."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    if context.args:
        # A place's name is looked up in the city index: "typing…" if that takes a while.
        async with chat_action_while_slow(context.bot, who.chat_id, ChatAction.TYPING):
            outcome = await apply(runtime, who, " ".join(context.args))
    else:
        outcome = await onboarding.begin_change(runtime, who, step)
    await _show(update, context, outcome)


async def language_command(update: Update, context: Context) -> None:
    """`/language de|en`, or ask with buttons when no argument is given."""
    await _one_setting(update, context, Step.LANGUAGE, onboarding.choose_language)


async def timezone_command(update: Update, context: Context) -> None:
    """`/timezone Europe/Berlin` or `/timezone München`, or ask when no argument is given."""
    await _one_setting(update, context, Step.TIMEZONE, onboarding.choose_timezone)


async def schedule_command(update: Update, context: Context) -> None:
    """`/schedule mon 09:00`, or ask for weekday and time when no argument is given."""
    await _one_setting(update, context, Step.WEEKDAY, onboarding.set_schedule)


async def location_message(update: Update, context: Context) -> None:
    """A shared location sets the time zone (looked up offline)."""
    message = update.effective_message
    if message is None or message.location is None:
        return
    who = identity_of(update)
    # The first shared location loads the time-zone map: "typing…" while it does.
    async with chat_action_while_slow(context.bot, who.chat_id, ChatAction.TYPING):
        outcome = await onboarding.locate(
            context.bot_data.runtime, who, message.location.latitude, message.location.longitude
        )
    await _show(update, context, outcome)


async def setup_button(update: Update, context: Context) -> None:
    """Buttons of onboarding and settings: language, zone, weekday, time, change-this."""
    query = update.callback_query
    if query is None:
        return
    callback = parse(query.data)
    runtime, who = context.bot_data.runtime, identity_of(update)
    outcome: FlowOutcome | None = None
    if callback is not None:
        argument = callback.argument
        if callback.kind == screens.LANGUAGE:
            outcome = await onboarding.choose_language(runtime, who, argument)
        elif callback.kind == screens.TIMEZONE:
            outcome = await onboarding.choose_timezone(runtime, who, argument)
        elif callback.kind == screens.WEEKDAY and (weekday := number(argument)) is not None:
            outcome = await onboarding.choose_weekday(runtime, who, weekday)
        elif callback.kind == screens.TIME and (minute := number(argument)) is not None:
            outcome = await onboarding.choose_time(runtime, who, minute)
        elif callback.kind == screens.CHANGE and argument in set(Step):
            outcome = await onboarding.begin_change(runtime, who, Step(argument))
    await query.answer()
    if outcome is None:
        return
    message = query.message
    if outcome.problem is None and isinstance(message, Message) and message.text:
        # Close the question that was answered so its buttons cannot be pressed twice.
        # Data that matches none of the message's buttons was forged: leave the message be.
        label = _pressed_label(update)
        text = message.text_html
        if text and label:
            await query.edit_message_text(f"{text}\n\n✓ {label}", parse_mode=ParseMode.HTML)
    await _show(update, context, outcome)


def _pressed_label(update: Update) -> str:
    query = update.callback_query
    message = query.message if query else None
    markup = getattr(message, "reply_markup", None)
    if query is None or markup is None:
        return ""
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == query.data:
                return escape(button.text)
    return ""
