"""The weekly loop in the chat: prompts and their buttons, reflections, journal, pauses."""

from __future__ import annotations

from telegram import ChatMemberUpdated, Message, Update

from bot.domain import availability, reflections
from bot.domain.known_members import ensure_member
from bot.domain.onboarding import load_member
from bot.domain.prompts import record_outcomes
from bot.screens import reflection as screens
from bot.screens.callbacks import number, parse
from bot.screens.prompt import ANOTHER_QUESTION, REFLECT, SKIP, prompt_screen
from bot.telegram_out import edit_screen, send_screen
from handlers.context import Context, identity_of
from handlers.digest import show_answer
from handlers.fallback import answer_press

__all__ = [
    "chat_member_update",
    "journal_button",
    "journal_command",
    "next_command",
    "pause_command",
    "prompt_button",
    "reflect_command",
    "resume_command",
]


async def next_command(update: Update, context: Context) -> None:
    """Send the next card now; the weekly slot stays where it is."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    dispatcher = context.bot_data.dispatcher
    prompt = await dispatcher.next_prompt_now(who)
    if prompt is None:
        member = await load_member(runtime, who)
        await send_screen(context.bot, who.chat_id, screens.next_not_ready(member))
        return
    await record_outcomes(runtime, [await dispatcher.send_prompt(prompt)])


async def reflect_command(update: Update, context: Context) -> None:
    """`/reflect` asks for thoughts on the latest prompt; `/reflect text` keeps them at once."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    asked = await reflections.ask_for_reflection(runtime, who)
    if asked is None:
        asked = reflections.ReflectionAsked(await load_member(runtime, who), None)
    if context.args and asked.prompt is not None:
        text = " ".join(context.args)
        message = update.effective_message
        saved = await reflections.save_reflection(
            runtime, who, text, message_id=message.message_id if message else None
        )
        if saved is not None:
            await send_screen(context.bot, who.chat_id, screens.reflection_saved(saved))
            return
    await send_screen(context.bot, who.chat_id, screens.reflection_asked(asked))


async def journal_command(update: Update, context: Context) -> None:
    """The first page of the member's reflections."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    await ensure_member(runtime, who)  # a first-time visitor gets a member row (and an empty page)
    page = await reflections.journal_page(runtime, who)
    if page is not None:
        await send_screen(context.bot, who.chat_id, screens.journal_screen(page))


async def pause_command(update: Update, context: Context) -> None:
    """`/pause` until `/resume`, or `/pause 3w`."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    await ensure_member(runtime, who)
    outcome = await availability.pause(runtime, who, " ".join(context.args or ()) or None)
    if outcome is not None:
        await send_screen(context.bot, who.chat_id, screens.pause_screen(outcome))


async def resume_command(update: Update, context: Context) -> None:
    """Prompts again from the next regular slot."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    await ensure_member(runtime, who)
    member = await availability.resume(runtime, who)
    if member is not None:
        await send_screen(
            context.bot, who.chat_id, screens.resume_screen(member, runtime.clock.now())
        )


async def prompt_button(update: Update, context: Context) -> None:
    """Reflect now / another question / skip, on a prompt that must be the presser's own."""
    query = update.callback_query
    callback = parse(query.data if query else None)
    delivery_id = number(callback.argument) if callback is not None else None
    if query is None or callback is None:
        return
    runtime, who = context.bot_data.runtime, identity_of(update)
    if delivery_id is None:  # not an id of ours: forged
        await answer_press(update, context, accepted=False)
        return
    if callback.kind == REFLECT:
        asked = await reflections.ask_for_reflection(runtime, who, delivery_id)
        await answer_press(update, context, accepted=asked is not None)
        if asked is not None:
            await send_screen(context.bot, who.chat_id, screens.reflection_asked(asked))
        return
    change = _PROMPT_CHANGES.get(callback.kind)
    prompt = await change(runtime, who, delivery_id) if change else None
    await answer_press(update, context, accepted=prompt is not None)
    if prompt is not None:
        await show_answer(query, callback, prompt_screen(prompt), context)


_PROMPT_CHANGES = {ANOTHER_QUESTION: reflections.another_question, SKIP: reflections.skip_prompt}


async def journal_button(update: Update, context: Context) -> None:
    """Page through the journal in place."""
    query = update.callback_query
    callback = parse(query.data if query else None)
    if query is None or callback is None:
        return
    page_number = number(callback.argument) or 0
    page = await reflections.journal_page(
        context.bot_data.runtime, identity_of(update), page_number
    )
    await query.answer()
    if page is not None and isinstance(query.message, Message):
        await edit_screen(query.message, screens.journal_screen(page))


async def chat_member_update(update: Update, context: Context) -> None:
    """A member blocked the bot: stop writing to them until they come back with /start."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    if change.new_chat_member.status in ("kicked", "left"):
        await availability.bot_blocked(context.bot_data.runtime, change.from_user.id)
