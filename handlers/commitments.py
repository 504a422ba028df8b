"""Commitments, follow-ups, contacts and the ledger in the chat: parse, call, render."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.domain import commitment_actions as actions
from bot.domain import commitments, contact_page, contacts
from bot.domain.known_members import ensure_member
from bot.domain.members import Identity
from bot.domain.runtime import Runtime
from bot.screens import Screen
from bot.screens import commitments as screens
from bot.screens import contact_page as contact_page_screens
from bot.screens import contacts as contact_screens
from bot.screens import followups as followup_screens
from bot.screens.callbacks import Callback, number, parse
from bot.screens.prompt import COMMIT
from bot.screens.undo import with_undo
from bot.telegram_out import send_screen, send_screens
from handlers.context import Context, identity_of
from handlers.digest import show_answer
from handlers.fallback import unknown_button

__all__ = [
    "BUTTON_KINDS",
    "commit_command",
    "commitment_button",
    "commitments_command",
    "contact_command",
    "contacts_command",
    "kept_command",
    "met_command",
]


def _args(context: Context) -> str:
    return " ".join(context.args or ())


async def commit_command(update: Update, context: Context) -> None:
    """`/commit Anna anrufen bis Freitag`, or `/commit` alone for the guided questions."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    await ensure_member(runtime, who)
    message = update.effective_message
    # The whole line, not PTB's split args: keeps the member's spacing and punctuation.
    text = (message.text or "") if message is not None else ""
    step = await commitments.commit_line(runtime, who, text.partition(" ")[2])
    if step is not None:
        await send_screens(context.bot, who.chat_id, screens.commit_step_screens(step))


async def commitments_command(update: Update, context: Context) -> None:
    """The first page of open commitments, and the share kept on time."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    await ensure_member(runtime, who)
    listing = await commitments.list_open(runtime, who)
    if listing is not None:
        await send_screen(context.bot, who.chat_id, screens.commitments_screen(listing))


async def kept_command(update: Update, context: Context) -> None:
    """The share of commitments kept or renegotiated on time."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    await ensure_member(runtime, who)
    listing = await commitments.list_open(runtime, who)
    if listing is not None:
        await send_screen(context.bot, who.chat_id, screens.kept_screen(listing))


async def contacts_command(update: Update, context: Context) -> None:
    """The first page of contacts with last interaction, open commitments and give-and-take."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    await ensure_member(runtime, who)
    listing = await contacts.list_contacts(runtime, who)
    if listing is not None:
        await send_screen(context.bot, who.chat_id, contact_screens.contacts_screen(listing))


async def contact_command(update: Update, context: Context) -> None:
    """`/contact Anna every 4 weeks` (or `alle 4 Wochen`; `Anna off` stops the check-ins);
    `/contact Anna` alone shows Anna's page."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    await ensure_member(runtime, who)
    result = await contact_page.contact_line(runtime, who, _args(context))
    if result is not None:
        await send_screen(context.bot, who.chat_id, contact_page_screens.render(result))


async def met_command(update: Update, context: Context) -> None:
    """`/met Anna`: log an interaction; the stay-in-touch timer starts over."""
    runtime, who = context.bot_data.runtime, identity_of(update)
    await ensure_member(runtime, who)
    result = await contacts.met(runtime, who, _args(context))
    if result is not None:
        await send_screen(context.bot, who.chat_id, contact_screens.met_screen(result))


# A button's answer: a screen to put in place of the pressed message, and screens to send.
_Answer = tuple[Screen | None, list[Screen]]
_ButtonAction = Callable[[Runtime, Identity, Callback], Awaitable[_Answer | None]]


def _ids(argument: str) -> tuple[int, str] | None:
    """Read "12" or "12-choice" (ids are positive integers; anything else is forged)."""
    digits, _, choice = argument.partition("-")
    row_id = number(digits)  # fits every backend's integer column
    return None if row_id is None else (row_id, choice)


def _days(choice: str) -> int:
    return number(choice, maximum=99) or 0


async def _start_from_prompt(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    step = await commitments.start_guided(runtime, who, parsed[0]) if parsed else None
    return None if step is None else (None, screens.commit_step_screens(step))


async def _contact(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    step = await commitments.choose_contact(runtime, who, parsed[0]) if parsed else None
    return None if step is None else (None, screens.commit_step_screens(step))


async def _action(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    step = await commitments.choose_action(runtime, who, parsed[0]) if parsed else None
    return None if step is None else (None, screens.commit_step_screens(step))


async def _new_due(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    step = await commitments.choose_due(runtime, who, cb.argument)
    return None if step is None else (None, screens.commit_step_screens(step))


async def _move_due(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    step = await commitments.choose_due(runtime, who, parsed[1], parsed[0]) if parsed else None
    return None if step is None else (None, screens.commit_step_screens(step))


async def _met_new(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    result = await contacts.confirm_met(runtime, who) if cb.argument == "yes" else None
    return None if result is None else (contact_screens.met_screen(result), [])


async def _cadence_new(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    result = await contacts.confirm_cadence(runtime, who) if cb.argument == "yes" else None
    return None if result is None else (contact_screens.cadence_screen(result), [])


async def _new_contact(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    step = await commitments.confirm_contact(runtime, who, cb.argument)
    return None if step is None else (None, screens.commit_step_screens(step))


async def _kept_draft(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    step = await commitments.choose_kept(runtime, who, cb.argument)
    return None if step is None else (None, screens.commit_step_screens(step))


async def _commitments_page(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    page = number(cb.argument)  # out of range: the nearest page; not a number: forged
    listing = await commitments.list_open(runtime, who, page) if page is not None else None
    return None if listing is None else (screens.commitments_screen(listing), [])


async def _open_commitment(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    result = await actions.show_commitment(runtime, who, parsed[0]) if parsed else None
    if result is None:
        return None
    return None, [screens.commitment_screen(result.member, result.commitment, result.now)]


async def _contacts_page(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    page = number(cb.argument)
    listing = await contacts.list_contacts(runtime, who, page) if page is not None else None
    return None if listing is None else (contact_screens.contacts_screen(listing), [])


async def _done(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    result = await actions.mark_done(runtime, who, parsed[0]) if parsed else None
    return (
        None
        if result is None
        else (with_undo(followup_screens.done_screen(result), result.member, result.undo), [])
    )


async def _release(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    result = await actions.release(runtime, who, parsed[0]) if parsed else None
    return (
        None
        if result is None
        else (
            with_undo(followup_screens.released_screen(result), result.member, result.undo),
            [],
        )
    )


async def _snooze(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    result = await actions.snooze(runtime, who, parsed[0], _days(parsed[1])) if parsed else None
    return (
        None
        if result is None
        else (with_undo(followup_screens.snoozed_screen(result), result.member, result.undo), [])
    )


async def _renegotiate(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    result = await actions.renegotiate(runtime, who, parsed[0]) if parsed else None
    return None if result is None else (None, followup_screens.renegotiate_screens(result))


async def _ledger(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    result = await actions.record_exchange(runtime, who, *parsed) if parsed else None
    return (
        None
        if result is None
        else (with_undo(followup_screens.ledger_screen(result), result.member, result.undo), [])
    )


async def _in_touch(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    result = await actions.checkin_in_touch(runtime, who, parsed[0]) if parsed else None
    return None if result is None else (followup_screens.checkin_result_screen(result), [])


async def _checkin_snooze(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    result = (
        await actions.checkin_snooze(runtime, who, parsed[0], _days(parsed[1])) if parsed else None
    )
    return None if result is None else (followup_screens.checkin_result_screen(result), [])


async def _checkin_stop(runtime: Runtime, who: Identity, cb: Callback) -> _Answer | None:
    parsed = _ids(cb.argument)
    result = await actions.checkin_stop(runtime, who, parsed[0]) if parsed else None
    return None if result is None else (followup_screens.checkin_result_screen(result), [])


_BUTTONS: dict[str, _ButtonAction] = {
    COMMIT: _start_from_prompt,
    screens.CONTACT: _contact,
    screens.ACTION: _action,
    screens.NEW_DUE: _new_due,
    screens.MOVE_DUE: _move_due,
    screens.KEEP: _kept_draft,
    screens.NEW_CONTACT: _new_contact,
    screens.DONE: _done,
    screens.RELEASE: _release,
    screens.SNOOZE: _snooze,
    screens.RENEGOTIATE: _renegotiate,
    screens.PAGE: _commitments_page,
    screens.OPEN: _open_commitment,
    contact_screens.PAGE: _contacts_page,
    contact_screens.MET_NEW: _met_new,
    contact_screens.CADENCE_NEW: _cadence_new,
    followup_screens.LEDGER: _ledger,
    followup_screens.IN_TOUCH: _in_touch,
    followup_screens.CHECKIN_SNOOZE: _checkin_snooze,
    followup_screens.CHECKIN_STOP: _checkin_stop,
}
BUTTON_KINDS = tuple(_BUTTONS)


async def commitment_button(update: Update, context: Context) -> None:
    """Every commitment, follow-up, check-in and ledger button; the row must be the presser's."""
    query = update.callback_query
    callback = parse(query.data if query else None)
    if query is None or callback is None:
        return
    runtime, who = context.bot_data.runtime, identity_of(update)
    action = _BUTTONS.get(callback.kind)
    answer = await action(runtime, who, callback) if action is not None else None
    if answer is None:
        await unknown_button(update, context)
        return
    await query.answer()
    replacement, to_send = answer
    if replacement is not None:
        await show_answer(query, callback, replacement, context)
    await send_screens(context.bot, who.chat_id, to_send)
