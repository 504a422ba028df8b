"""The member's hold on their journal: open a reflection in full, delete it, edit it.

A reflection is changed only by its author: every button names a reflection id and is
acted on only when that reflection belongs to the member who pressed it; an edit in
Telegram finds the reflection by the member's own message. The new text is sealed to
the same row as before (`storage.encrypted`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.members import Identity, Member, member_from_row
from bot.domain.reflections import JOURNAL_PAGE_SIZE, MAX_REFLECTION_LENGTH
from bot.domain.runtime import Runtime
from storage.models import Reflection
from storage.owned import owned_row
from storage.reflections import count_newer_reflections, reflection_by_message
from storage.users import get_user_by_telegram_id

__all__ = [
    "EntryDeleted",
    "JournalEntryView",
    "ReflectionEdited",
    "delete_entry",
    "edit_reflection",
    "open_entry",
]


@dataclass(frozen=True, slots=True)
class JournalEntryView:
    """One reflection in full, and the journal page that lists it (to go back to)."""

    member: Member
    now: datetime  # when shown: a date in another year shows it
    reflection_id: int
    written_at: datetime
    card_title: str
    text: str
    page: int


@dataclass(frozen=True, slots=True)
class EntryDeleted:
    """A reflection was deleted; `page` is where the journal goes on."""

    member: Member
    page: int


@dataclass(frozen=True, slots=True)
class ReflectionEdited:
    """An edited message changed its reflection (or was refused as too long)."""

    member: Member
    card_title: str
    too_long: bool = False


def _card_title(runtime: Runtime, reflection: Reflection, language: str) -> str:
    card = runtime.curriculum.get(reflection.card_key)
    return card.text(language).title if card else reflection.card_key


async def open_entry(
    runtime: Runtime, who: Identity, reflection_id: int
) -> JournalEntryView | None:
    """The member's reflection in full; None when it is not theirs or no longer there."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        owned = await owned_row(session, who.telegram_id, Reflection, reflection_id)
        if owned is None:
            return None
        user, reflection = owned
        newer = await count_newer_reflections(session, reflection)
        return JournalEntryView(
            member=member_from_row(user),
            now=now,
            reflection_id=reflection.id,
            written_at=reflection.created_at,
            card_title=_card_title(runtime, reflection, user.language),
            text=reflection.text,
            page=newer // JOURNAL_PAGE_SIZE,
        )


async def delete_entry(runtime: Runtime, who: Identity, reflection_id: int) -> EntryDeleted | None:
    """Delete the member's reflection; None when it is not theirs or already gone."""
    async with runtime.sessions.begin() as session:
        owned = await owned_row(session, who.telegram_id, Reflection, reflection_id)
        if owned is None:
            return None
        user, reflection = owned
        page = await count_newer_reflections(session, reflection) // JOURNAL_PAGE_SIZE
        await session.delete(reflection)
        return EntryDeleted(member_from_row(user), page)


async def edit_reflection(
    runtime: Runtime, who: Identity, telegram_message_id: int, text: str
) -> ReflectionEdited | None:
    """The member edited a message they wrote: the reflection kept from it follows.

    None when no reflection came from that message (or the text is empty): nothing to do.
    """
    text = text.strip()
    if not text:
        return None
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        reflection = await reflection_by_message(session, user.id, telegram_message_id)
        if reflection is None:
            return None
        member = member_from_row(user)
        title = _card_title(runtime, reflection, user.language)
        if len(text) > MAX_REFLECTION_LENGTH:
            return ReflectionEdited(member, title, too_long=True)
        reflection.text = text
        return ReflectionEdited(member, title)
