"""Stray text: what a member writes outside any question is offered a place, never lost.

"Heute habe ich übrigens Lisa getroffen" gets three offers: keep it as a note (in the
journal, on the latest prompt's card), log a meeting with the contact it names (the
text as the meeting's note), or make it a commitment (read as `/commit` would read it).
The text itself is not stored until the member chooses: the offer is a reply to their
message, and the choice reads the text back from that message. Offering costs no read
beyond the member; who is named is looked up when the meeting is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.domain.contact_names import sentence_words
from bot.domain.contacts import (
    MetResult,
    ask_new_contact,
    just_logged,
    known_contact_in_text,
    log_interaction,
    new_contact_refused,
)
from bot.domain.known_members import recall_member
from bot.domain.limits import Limit, over_text_limit
from bot.domain.members import Identity, member_from_row
from bot.domain.reflection_answers import keep_and_answer
from bot.domain.reflections import MAX_REFLECTION_LENGTH, ReflectionSaved
from bot.domain.runtime import Runtime
from bot.domain.schedule import parse_weekday
from storage.deliveries import latest_sent_prompt
from storage.reflections import count_reflections, reflection_by_message
from storage.users import get_user_by_telegram_id

__all__ = ["StrayOffer", "keep_as_note", "log_meeting_from_text", "new_name_in", "offer_for"]

# Capitalised words that are no one's name (German capitalises every noun; these are the
# ones that come up in a sentence about meeting someone).
_NOT_NAMES: Final = frozenset((
    "ich", "du", "er", "sie", "es", "wir", "ihr", "mich", "mir", "dich", "dir", "uns", "euch",
    "ihnen", "i", "you", "he", "she", "we", "they", "herr", "frau", "mr", "mrs", "ms", "dr",
    "heute", "morgen", "gestern", "kaffee", "mittag", "abend", "treffen", "termin",
))  # fmt: skip


@dataclass(frozen=True, slots=True)
class StrayOffer:
    """Which offers fit a stray text's length (a meeting's note, a commitment's line)."""

    language: str
    as_meeting: bool
    as_commitment: bool


def new_name_in(text: str) -> str | None:
    """The first capitalised word inside a sentence that may be a name ("Lisa"), if any."""
    for found in sentence_words(text):
        word = found.text
        if found.starts_sentence or not word[:1].isupper() or word.casefold() in _NOT_NAMES:
            continue
        if parse_weekday(word) is not None:  # "am Freitag"
            continue
        if over_text_limit(Limit.CONTACT_NAME, word) is None:
            return word
    return None


async def offer_for(runtime: Runtime, who: Identity, text: str) -> StrayOffer | None:
    """The offers for a stray text; None for someone who is not a member yet.

    Nothing is read beyond the member (usually from memory): who the text names is
    looked up only when the member chooses the meeting.
    """
    known = await recall_member(runtime, who)
    if known is None:
        return None
    return StrayOffer(
        known.language,
        as_meeting=over_text_limit(Limit.NOTE, text) is None,
        as_commitment=over_text_limit(Limit.COMMITMENT_TEXT, text) is None,
    )


async def keep_as_note(
    runtime: Runtime, who: Identity, text: str, message_id: int
) -> ReflectionSaved | None:
    """Keep the text in the journal, on the latest prompt's card (the intro before any).

    None when it was kept already (a second press). Editing the message later edits
    the note, as for any reflection.
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None or await reflection_by_message(session, user.id, message_id):
            return None
        latest = await latest_sent_prompt(session, user.id)
        card = runtime.curriculum.get(latest.card_key or "") if latest else None
        card = card or runtime.curriculum.intro
        title = card.text(user.language).title
        member = member_from_row(user)
        if len(text) > MAX_REFLECTION_LENGTH:
            total = await count_reflections(session, user.id)
            return ReflectionSaved(member, title, total, too_long=True)
        answer = await keep_and_answer(
            session,
            user,
            who,
            card,
            text,
            now=now,
            delivery_id=latest.id if latest else None,
            question_index=None,
            message_id=message_id,
        )
        return ReflectionSaved(member, title, answer.count, answer=answer)


async def log_meeting_from_text(runtime: Runtime, who: Identity, text: str) -> MetResult | None:
    """A meeting with the contact the text names, the text as its note.

    Known contacts first (the first named, by the blind indexes of the text's runs of
    words, in one statement). Else a capitalised word inside a sentence may be a new
    contact: it is asked about first ("new contact: Lisa?", as `/met` asks) and created
    only on the member's yes (`confirm_met`), within the member's limit. Naming nobody
    gets "with whom?". None when the meeting was just logged (a second press).
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        member = member_from_row(user)
        refused = over_text_limit(Limit.NOTE, text)
        if refused is not None:
            return MetResult(member, now, limit=refused)
        note = text.strip()
        contact = await known_contact_in_text(session, user.id, text)
        if contact is not None:
            if await just_logged(session, contact, now, note or None):
                return None
            interaction = await log_interaction(session, contact, now, note=note or None)
            return MetResult(member, now, contact.name, interaction.id, contact.next_checkin_at)
        name = new_name_in(text)
        if name is None:
            return MetResult(member, now)
        refused = await new_contact_refused(session, runtime.settings, user.id, name)
        if refused is not None:
            return MetResult(member, now, limit=refused)
        return await ask_new_contact(session, member, user.id, name, note, now)
