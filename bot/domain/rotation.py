"""Which card and question a member gets next: `content.rotation`'s rules over their record.

The record is read in two statements whatever the member has done: when each card was
last shown, reflected on and committed from (`storage.deliveries.card_history`), and
when each question of each card was last asked (`storage.rotation`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from content.cards import Card, Curriculum
from content.rotation import CardHistory, choose_next_card, choose_next_question, exhausted_cards
from storage.deliveries import card_history
from storage.models import User
from storage.rotation import asked_questions

__all__ = ["asked_by_card", "next_card"]


async def asked_by_card(session: AsyncSession, user_id: int) -> dict[str, dict[int, datetime]]:
    """When the member was last asked each question, by card and question index."""
    asked: dict[str, dict[int, datetime]] = {}
    for item in await asked_questions(session, user_id):
        asked.setdefault(item.card_key, {})[item.question_index] = item.asked_at
    return asked


async def next_card(
    session: AsyncSession, curriculum: Curriculum, user: User, now: datetime
) -> tuple[Card, int]:
    """The next card for this member and a question on it they were not asked for a year.

    Cards whose every question was asked within the year are passed over while another
    has one left.
    """
    history = [CardHistory(*row) for row in await card_history(session, user.id)]
    asked = await asked_by_card(session, user.id)
    exhausted = exhausted_cards(curriculum, user.language, asked, now)
    card = choose_next_card(curriculum, history, exhausted)
    question = choose_next_question(card.text(user.language), asked.get(card.key, {}), now)
    return card, question
