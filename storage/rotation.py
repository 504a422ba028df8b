"""The rotation's record: which questions of which card each member was asked, and when last.

Never commit.

The rotation (`content.rotation`) reads a member's whole record in one statement (it is
bounded by the curriculum's questions: one row per card and question), and every prompt
scheduled and every "another question" press writes one row, replacing the older moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AskedQuestion
from storage.upsert import dialect_insert

__all__ = ["Asked", "asked_questions", "note_asked"]


@dataclass(frozen=True, slots=True)
class Asked:
    """One question a member was asked: the card, the question's number and when."""

    user_id: int
    card_key: str
    question_index: int
    asked_at: datetime


async def asked_questions(session: AsyncSession, user_id: int) -> list[Asked]:
    """Every question the member was asked, on every card, each with its latest moment."""
    rows = await session.execute(
        select(AskedQuestion.card_key, AskedQuestion.question_index, AskedQuestion.asked_at).where(
            AskedQuestion.user_id == user_id
        )
    )
    return [Asked(user_id, key, index, at) for key, index, at in rows.all()]


async def note_asked(session: AsyncSession, asked: Sequence[Asked]) -> None:
    """Record questions as asked, each replacing the moment it was asked before."""
    if not asked:
        return
    latest: dict[tuple[int, str, int], datetime] = {}
    for item in asked:
        latest[(item.user_id, item.card_key, item.question_index)] = item.asked_at
    insert = dialect_insert(session)(AskedQuestion)
    # One statement, executed for many rows: compiled once, whatever the batch's size.
    statement = insert.on_conflict_do_update(
        index_elements=["user_id", "card_key", "question_index"],
        set_={"asked_at": insert.excluded.asked_at},
    )
    rows = [
        {"user_id": user, "card_key": key, "question_index": index, "asked_at": at}
        for (user, key, index), at in latest.items()
    ]
    await session.execute(statement, rows)
