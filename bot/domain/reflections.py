"""Reflections: answering a prompt, asking another question, skipping a week, the journal.

Every button names a delivery; it is only acted on when that delivery belongs to the
member who pressed it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.members import Identity, Member, member_from_row
from bot.domain.prompts import Prompt, prompt_from_rows, remembered_prompt
from bot.domain.reflection_answers import ReflectionAnswer, keep_and_answer
from bot.domain.rotation import asked_by_card
from bot.domain.runtime import Runtime
from content import rotation
from storage.conversations import clear_state, get_state, set_state
from storage.deliveries import PROMPT_KINDS, latest_sent_prompt
from storage.models import Delivery, User
from storage.reflections import count_reflections, reflections_page
from storage.rotation import Asked, note_asked
from storage.users import get_user_by_telegram_id

__all__ = [
    "JOURNAL_PAGE_SIZE",
    "MAX_REFLECTION_LENGTH",
    "REFLECTION_FLOW",
    "JournalEntry",
    "JournalPage",
    "ReflectionAsked",
    "ReflectionSaved",
    "another_question",
    "ask_for_reflection",
    "journal_page",
    "save_reflection",
    "skip_prompt",
]

REFLECTION_FLOW = "reflection"
JOURNAL_PAGE_SIZE = 5
MAX_REFLECTION_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class ReflectionAsked:
    """The member is now expected to write; `prompt` None means they never got one."""

    member: Member
    prompt: Prompt | None


@dataclass(frozen=True, slots=True)
class ReflectionSaved:
    """A reflection was kept, with its answer (or refused as too long: `too_long`)."""

    member: Member
    card_title: str
    total: int
    too_long: bool = False
    answer: ReflectionAnswer | None = None


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One reflection as the journal lists it."""

    written_at: datetime
    card_title: str
    text: str
    reflection_id: int


@dataclass(frozen=True, slots=True)
class JournalPage:
    """A page of the journal, newest first."""

    member: Member
    now: datetime  # when shown: a date in another year shows it
    entries: tuple[JournalEntry, ...]
    page: int
    total: int

    @property
    def has_newer(self) -> bool:
        """There are pages before this one."""
        return self.page > 0

    @property
    def has_older(self) -> bool:
        """There are pages after this one."""
        return (self.page + 1) * JOURNAL_PAGE_SIZE < self.total


async def _owned_delivery(
    session: AsyncSession, who: Identity, delivery_id: int
) -> tuple[User, Delivery] | None:
    """The member and the prompt delivery, only if the delivery is theirs."""
    user = await get_user_by_telegram_id(session, who.telegram_id)
    delivery = await session.get(Delivery, delivery_id)
    if user is None or delivery is None or delivery.user_id != user.id:
        return None
    if delivery.kind not in PROMPT_KINDS:
        return None
    return user, delivery


async def ask_for_reflection(
    runtime: Runtime, who: Identity, delivery_id: int | None = None
) -> ReflectionAsked | None:
    """Expect the member's next text as a reflection on this prompt (default: the latest).

    None when the button names a delivery that is not the member's.
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        if delivery_id is not None:
            owned = await _owned_delivery(session, who, delivery_id)
            if owned is None:
                return None
            user, delivery = owned
        else:
            found = await get_user_by_telegram_id(session, who.telegram_id)
            if found is None:
                return None
            user = found
            latest = await latest_sent_prompt(session, user.id)
            if latest is None:
                return ReflectionAsked(member_from_row(user), None)
            delivery = latest
        prompt = prompt_from_rows(delivery, user, runtime.curriculum, now)
        await set_state(
            session,
            user.id,
            flow=REFLECTION_FLOW,
            step="text",
            data={"delivery_id": delivery.id, "question_index": prompt.question_index},
            now=now,
        )
        return ReflectionAsked(member_from_row(user), prompt)


async def save_reflection(
    runtime: Runtime,
    who: Identity,
    text: str,
    *,
    reply_to_message_id: int | None = None,
    message_id: int | None = None,
) -> ReflectionSaved | None:
    """Keep `text` as a reflection if the member is writing one or replied to a prompt.

    `message_id` is the member's message it came from: editing that message later edits
    the reflection. None when the text is neither (the caller answers it some other way).
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        delivery, question_index = await _reflection_target(session, user, reply_to_message_id)
        if delivery is None:
            return None
        card = runtime.curriculum.get(delivery.card_key or "") or runtime.curriculum.intro
        title = card.text(user.language).title
        if len(text) > MAX_REFLECTION_LENGTH:
            total = await count_reflections(session, user.id)
            return ReflectionSaved(member_from_row(user), title, total, too_long=True)
        answer = await keep_and_answer(
            session,
            user,
            who,
            card,
            text,
            now=now,
            delivery_id=delivery.id,
            question_index=question_index,
            message_id=message_id,
        )
        await clear_state(session, user.id)
        return ReflectionSaved(member_from_row(user), title, answer.count, answer=answer)


async def _reflection_target(
    session: AsyncSession, user: User, reply_to_message_id: int | None
) -> tuple[Delivery | None, int | None]:
    if reply_to_message_id is not None:
        query = select(Delivery).where(
            Delivery.user_id == user.id,
            Delivery.telegram_message_id == reply_to_message_id,
            Delivery.kind.in_(PROMPT_KINDS),
        )
        replied = (await session.execute(query)).scalars().first()
        if replied is not None:
            return replied, replied.question_index
    state = await get_state(session, user.id)
    if state is None or state.flow != REFLECTION_FLOW:
        return None, None
    delivery = await session.get(Delivery, int(state.data.get("delivery_id", 0)))
    if delivery is None or delivery.user_id != user.id:
        return None, None
    return delivery, state.data.get("question_index")


async def another_question(runtime: Runtime, who: Identity, delivery_id: int) -> Prompt | None:
    """Move the prompt on to a question of its card the member was not asked for a year.

    When there is none left the prompt stays on its question and says that the member
    has seen them all (`Prompt.all_questions_shown`). None if the prompt is not theirs.
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await _owned_delivery(session, who, delivery_id)
        if owned is None:
            return None
        user, delivery = owned
        card = runtime.curriculum.get(delivery.card_key or "") or runtime.curriculum.intro
        text = card.text(user.language)
        asked = (await asked_by_card(session, user.id)).get(card.key, {})
        current = (delivery.question_index or 0) % len(text.questions)
        chosen = rotation.another_question(text, asked, now, current)
        if chosen is not None:
            delivery.question_index = chosen
            await note_asked(session, [Asked(user.id, card.key, chosen, now)])
            state = await get_state(session, user.id)
            answering = state is not None and state.flow == REFLECTION_FLOW
            if state is not None and answering and state.data.get("delivery_id") == delivery.id:
                state.data = {**state.data, "question_index": delivery.question_index}
        prompt = prompt_from_rows(delivery, user, runtime.curriculum, now)
        if chosen is None:
            prompt = replace(prompt, all_questions_shown=True)
        return await remembered_prompt(session, runtime.curriculum, prompt, user, now)


async def skip_prompt(runtime: Runtime, who: Identity, delivery_id: int) -> Prompt | None:
    """Set this week's prompt aside; None if the prompt is not the member's."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await _owned_delivery(session, who, delivery_id)
        if owned is None:
            return None
        user, delivery = owned
        delivery.skipped_at = delivery.skipped_at or now
        state = await get_state(session, user.id)
        if state is not None and state.flow == REFLECTION_FLOW:
            await clear_state(session, user.id)
        prompt = prompt_from_rows(delivery, user, runtime.curriculum, now)
        return await remembered_prompt(session, runtime.curriculum, prompt, user, now)


async def journal_page(runtime: Runtime, who: Identity, page: int = 0) -> JournalPage | None:
    """One page of the member's reflections, newest first."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        total = await count_reflections(session, user.id)
        last_page = max(0, (total - 1) // JOURNAL_PAGE_SIZE)
        page = min(max(page, 0), last_page)
        rows = await reflections_page(
            session, user.id, offset=page * JOURNAL_PAGE_SIZE, limit=JOURNAL_PAGE_SIZE
        )
        entries = []
        for row in rows:
            card = runtime.curriculum.get(row.card_key)
            title = card.text(user.language).title if card else row.card_key
            entries.append(JournalEntry(row.created_at, title, row.text, row.id))
        return JournalPage(member_from_row(user), now, tuple(entries), page, total)
