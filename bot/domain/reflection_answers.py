"""The answer to a reflection: a receipt that changes, the contact it names, the week's theme.

Nothing generates text: the answer is put together from the catalogs and the member's
own data, read in the transaction that keeps the reflection.

- **Receipt.** One of several per language (`FULL_RECEIPTS`), chosen from the number of
  reflections so far but never the one that answered the member's latest reflection
  (kept on each reflection: `reflections.receipt`). A text with nothing in it ("ok",
  "asdf") gets one of the plain `SHORT_RECEIPTS` instead, not praise.
- **Contact.** The first of the member's contacts the text names, found by the blind
  indexes of its runs of words in one read (works with names encrypted), with when the
  member was last in touch and how many commitments for them are open; the answer offers
  the contact page's own buttons (a meeting, a commitment, check-ins). A common first
  name that is no contact yet is *offered* ("new contact: Lisa?"): it is made only after
  the member says yes (`add_offered_contact`).
- **Theme.** The card the member answered, so the screen can link the note to its
  principle or rule.

Names are only looked at in a member's private chat; nothing the member wrote is put
into an answer anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.contact_names import Word, name_runs, offered_name, sentence_words
from bot.domain.contacts import contacts_named_in_text, in_text_order, new_contact_refused
from bot.domain.limits import Limit, LimitReached, over_text_limit
from bot.domain.members import Identity, Member, member_from_row
from bot.domain.runtime import Runtime
from content.cards import Card
from storage.contacts import get_or_create_contact
from storage.models import Reflection, User
from storage.owned import owned_row
from storage.reflections import add_reflection, reflection_tally
from storage.unreadable import is_unreadable

__all__ = [
    "FULL_RECEIPTS",
    "SHORT_RECEIPTS",
    "MentionedContact",
    "NewContactOffer",
    "ReflectionAnswer",
    "add_offered_contact",
    "has_substance",
    "keep_and_answer",
    "next_receipt",
    "offer_new_contact",
]

# Receipts 0 to 5 answer a text with something in it; 6 to 8 a text with nothing in it.
FULL_RECEIPTS: Final = 6
SHORT_RECEIPTS: Final = 3
# A text has something in it from this many different words of two letters or more.
_SUBSTANTIAL_WORDS: Final = 3
# Runs of neighbouring keys ("asdf", "jklö") are typing, not words.
_KEYBOARD_ROWS: Final = ("qwertzuiopü", "asdfghjklöä", "yxcvbnm", "qwertyuiop", "zxcvbnm")
_MASH_LENGTH: Final = 3


@dataclass(frozen=True, slots=True)
class MentionedContact:
    """A known contact a reflection names, with what the answer says about them."""

    id: int
    name: str
    last_interaction_at: datetime | None
    open_commitments: int


@dataclass(frozen=True, slots=True)
class ReflectionAnswer:
    """What the answer to one kept reflection is made of.

    `receipt` indexes the receipts (below `FULL_RECEIPTS`: a full one); `count` is the
    member's number of reflections with this one. `contact` and `new_name` are set only
    in the member's private chat, and at most one of them.
    """

    reflection_id: int
    receipt: int
    count: int
    theme: str
    card_title: str
    now: datetime
    contact: MentionedContact | None = None
    new_name: str | None = None

    @property
    def substantial(self) -> bool:
        """The text had something in it (a full receipt, the theme, the contact)."""
        return self.receipt < FULL_RECEIPTS


@dataclass(frozen=True, slots=True)
class NewContactOffer:
    """A name a reflection offered as a new contact, asked about, made, or refused.

    `contact_id` is set once the name is a contact (made now: `created`, or already one);
    `limit` when making it would pass a limit.
    """

    member: Member
    reflection_id: int
    name: str
    contact_id: int | None = None
    created: bool = False
    limit: LimitReached | None = None


def _is_mash(word: str) -> bool:
    return len(word) > _MASH_LENGTH and any(word in row for row in _KEYBOARD_ROWS)


def has_substance(words: list[Word]) -> bool:
    """Whether a text says something: enough different words that are not key-mashing."""
    different = {
        folded
        for word in words
        if len(folded := word.text.casefold()) >= 2 and not _is_mash(folded)
    }
    return len(different) >= _SUBSTANTIAL_WORDS


def next_receipt(previous: int | None, count: int, substantial: bool) -> int:
    """The receipt for the member's `count`-th reflection: taken in turn, never `previous`."""
    first, size = (0, FULL_RECEIPTS) if substantial else (FULL_RECEIPTS, SHORT_RECEIPTS)
    receipt = first + count % size
    return first + (count + 1) % size if receipt == previous else receipt


async def keep_and_answer(
    session: AsyncSession,
    user: User,
    who: Identity,
    card: Card,
    text: str,
    *,
    now: datetime,
    delivery_id: int | None,
    question_index: int | None,
    message_id: int | None,
) -> ReflectionAnswer:
    """Keep the reflection and put its answer together: one read and the insert.

    The read counts the member's reflections, finds the latest one's receipt and (in the
    member's private chat) the contacts the text names, by the blind indexes of its
    runs of words.
    """
    words = sentence_words(text)
    private = who.chat_id == who.telegram_id
    runs = name_runs(words) if private else []
    tally = await reflection_tally(await session.connection(), user.id, [r.text for r in runs])
    count, named = tally.count, in_text_order(tally.named, runs)
    substantial = bool(named) or has_substance(words)
    receipt = next_receipt(tally.latest_receipt, count + 1, substantial)
    reflection = await add_reflection(
        session,
        user_id=user.id,
        delivery_id=delivery_id,
        card_key=card.key,
        question_index=question_index,
        text=text.strip(),
        now=now,
        telegram_message_id=message_id,
        receipt=receipt,
    )
    contact = (
        MentionedContact(
            named[0].id, named[0].name, named[0].last_interaction_at, named[0].open_commitments
        )
        if named
        else None
    )
    new_name = offered_name(words) if private and substantial and not named else None
    return ReflectionAnswer(
        reflection_id=reflection.id,
        receipt=receipt,
        count=count + 1,
        theme=card.theme,
        card_title=card.text(user.language).title,
        now=now,
        contact=contact,
        new_name=new_name,
    )


async def _offered(
    session: AsyncSession, who: Identity, reflection_id: int
) -> NewContactOffer | None:
    """What the member's reflection offers now: its new name, or the contact it became.

    None when the reflection is not the member's (or gone), or names nobody any more
    (edited since).
    """
    owned = await owned_row(session, who.telegram_id, Reflection, reflection_id)
    if owned is None or is_unreadable(owned[1].text):
        return None
    user, reflection = owned
    member = member_from_row(user)
    words = sentence_words(reflection.text)
    known = await contacts_named_in_text(session, user.id, words, 1)
    if known:
        return NewContactOffer(member, reflection.id, known[0].name, known[0].id)
    name = offered_name(words)
    return None if name is None else NewContactOffer(member, reflection.id, name)


async def offer_new_contact(
    runtime: Runtime, who: Identity, reflection_id: int
) -> NewContactOffer | None:
    """The name a reflection offered, to ask about before anything is made (see `_offered`)."""
    async with runtime.sessions() as session:
        return await _offered(session, who, reflection_id)


async def add_offered_contact(
    runtime: Runtime, who: Identity, reflection_id: int
) -> NewContactOffer | None:
    """The member said yes: the offered name becomes a contact, within their limits.

    A name that became a contact meanwhile is not made twice.
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        offer = await _offered(session, who, reflection_id)
        if offer is None or offer.contact_id is not None:
            return offer
        refused = over_text_limit(Limit.CONTACT_NAME, offer.name) or await new_contact_refused(
            session, runtime.settings, offer.member.id, offer.name
        )
        if refused is not None:
            return NewContactOffer(offer.member, reflection_id, offer.name, limit=refused)
        contact = await get_or_create_contact(session, offer.member.id, offer.name, now)
        return NewContactOffer(offer.member, reflection_id, contact.name, contact.id, created=True)
