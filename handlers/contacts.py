"""A contact's page in the chat and its buttons: meet, commit, cadence, rename, merge, delete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.domain import commitments, contact_page
from bot.domain.contact_page import ContactQuestion
from bot.domain.members import Identity
from bot.domain.runtime import Runtime
from bot.screens import Screen
from bot.screens import contact_page as screens
from bot.screens.callbacks import number, parse
from bot.screens.commitments import commit_step_screens
from bot.screens.contacts import cadence_screen, met_screen
from bot.telegram_out import send_screens
from handlers.context import Context, identity_of
from handlers.digest import show_answer
from handlers.fallback import unknown_button

__all__ = ["contact_button"]

# A button's answer: a screen to put in place of the pressed message, and screens to send.
_Answer = tuple[Screen | None, list[Screen]]
_Action = Callable[[Runtime, Identity, int, int], Awaitable[_Answer | None]]


def _two_ids(argument: str) -> tuple[int, int] | None:
    """Read "12" or "12-3": a contact id and a page, days or a second contact (0 if none)."""
    first, _, second = argument.partition("-")
    contact_id, extra = number(first), number(second) if second else 0
    return None if contact_id is None or extra is None else (contact_id, extra)


async def _view(runtime: Runtime, who: Identity, contact_id: int, page: int) -> _Answer | None:
    shown = await contact_page.show_contact(runtime, who, contact_id, page)
    return None if shown is None else (screens.contact_page_screen(shown), [])


async def _met(runtime: Runtime, who: Identity, contact_id: int, _: int) -> _Answer | None:
    met = await contact_page.log_meeting(runtime, who, contact_id)
    if met is None:
        return None
    shown = await contact_page.show_contact(runtime, who, contact_id)
    return (screens.contact_page_screen(shown) if shown else None), [met_screen(met)]


async def _commit(runtime: Runtime, who: Identity, contact_id: int, _: int) -> _Answer | None:
    step = await commitments.start_guided(runtime, who, contact_id=contact_id)
    return None if step is None else (None, commit_step_screens(step))


async def _set_cadence(
    runtime: Runtime, who: Identity, contact_id: int, days: int
) -> _Answer | None:
    result = await contact_page.set_contact_cadence(runtime, who, contact_id, days)
    if result is None:
        return None
    shown = await contact_page.show_contact(runtime, who, contact_id)
    return (screens.contact_page_screen(shown) if shown else None), [cadence_screen(result)]


def _ask(question: ContactQuestion) -> _Action:
    async def ask(runtime: Runtime, who: Identity, contact_id: int, other: int) -> _Answer | None:
        asked = await contact_page.ask_about_contact(runtime, who, contact_id, question, other)
        return None if asked is None else (screens.asked_screen(asked), [])

    return ask


async def _merge_choices(
    runtime: Runtime, who: Identity, contact_id: int, page: int
) -> _Answer | None:
    choices = await contact_page.merge_choices(runtime, who, contact_id, page)
    return None if choices is None else (screens.merge_choices_screen(choices), [])


async def _merge(runtime: Runtime, who: Identity, contact_id: int, into: int) -> _Answer | None:
    merged = await contact_page.merge_contacts(runtime, who, contact_id, into)
    return None if merged is None else (screens.changed_screen(merged), [])


async def _delete(runtime: Runtime, who: Identity, contact_id: int, _: int) -> _Answer | None:
    deleted = await contact_page.delete_contact(runtime, who, contact_id)
    return None if deleted is None else (screens.changed_screen(deleted), [])


_ACTIONS: dict[str, _Action] = {
    screens.VIEW: _view,
    screens.MET: _met,
    screens.COMMIT: _commit,
    screens.CADENCE: _ask(ContactQuestion.CADENCE),
    screens.SET_CADENCE: _set_cadence,
    screens.RENAME: _ask(ContactQuestion.RENAME),
    screens.MERGE: _merge_choices,
    screens.MERGE_ASK: _ask(ContactQuestion.MERGE),
    screens.MERGE_DO: _merge,
    screens.DELETE: _ask(ContactQuestion.DELETE),
    screens.DELETE_DO: _delete,
}


async def contact_button(update: Update, context: Context) -> None:
    """Every button of a contact's page; the contact (and any other named) must be the presser's."""
    query = update.callback_query
    callback = parse(query.data if query else None)
    if query is None or callback is None:
        return
    runtime, who = context.bot_data.runtime, identity_of(update)
    action = _ACTIONS.get(callback.kind)
    ids = _two_ids(callback.argument)
    answer = await action(runtime, who, *ids) if action is not None and ids else None
    if answer is None:
        await unknown_button(update, context)
        return
    await query.answer()
    replacement, to_send = answer
    if replacement is not None:
        await show_answer(query, callback, replacement, context)
    await send_screens(context.bot, who.chat_id, to_send)
