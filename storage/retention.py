"""Queries that delete what is past the retention period, one kind of record each. Never commit.

Each takes the cutoff (now minus the period) and returns how many rows went.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, CursorResult, Delete, and_, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.conversations import KEPT_FLOWS
from storage.deliveries import PROMPT_KINDS
from storage.models import (
    Commitment,
    CommitmentStatus,
    Contact,
    ConversationState,
    Delivery,
    DeliveryStatus,
    Interaction,
    Reflection,
    User,
    UserStatus,
)

__all__ = [
    "FINISHED_DELIVERIES",
    "delete_closed_commitments",
    "delete_delivery_history",
    "delete_interactions",
    "delete_quiet_contacts",
    "delete_reflections",
    "delete_stale_drafts",
    "long_blocked_member_ids",
    "still_long_blocked",
]

# Deliveries the dispatcher is done with; pending and sending ones are still its work.
FINISHED_DELIVERIES = (
    DeliveryStatus.SENT,
    DeliveryStatus.FAILED,
    DeliveryStatus.BLOCKED,
    DeliveryStatus.CANCELLED,
)
# Prompts that count as shown to the member (as `storage.deliveries.card_history` counts).
_SHOWN = (DeliveryStatus.SENT, DeliveryStatus.BLOCKED)


async def _deleted(session: AsyncSession, statement: Delete) -> int:
    result: CursorResult[tuple[()]] = await session.execute(statement)  # type: ignore[assignment]
    return int(result.rowcount or 0)


async def delete_reflections(session: AsyncSession, cutoff: datetime) -> int:
    """Reflections written before the cutoff."""
    return await _deleted(session, delete(Reflection).where(Reflection.created_at < cutoff))


async def delete_closed_commitments(session: AsyncSession, cutoff: datetime) -> int:
    """Commitments kept or released before the cutoff (open ones stay, however old)."""
    return await _deleted(
        session,
        delete(Commitment).where(Commitment.closed_at.is_not(None), Commitment.closed_at < cutoff),
    )


async def delete_interactions(session: AsyncSession, cutoff: datetime) -> int:
    """Ledger entries (with their notes) logged before the cutoff."""
    return await _deleted(session, delete(Interaction).where(Interaction.created_at < cutoff))


async def delete_quiet_contacts(session: AsyncSession, cutoff: datetime) -> int:
    """Contacts the member no longer follows, with their history.

    No stay-in-touch cadence, no open commitment, and neither added nor met since the
    cutoff: the name goes, and with it (ON DELETE CASCADE) their ledger and check-ins.
    """
    open_commitment = exists().where(
        Commitment.contact_id == Contact.id, Commitment.status == CommitmentStatus.OPEN
    )
    last_sign = Contact.last_interaction_at
    statement = delete(Contact).where(
        Contact.cadence_days.is_(None),
        Contact.created_at < cutoff,
        or_(last_sign.is_(None), last_sign < cutoff),
        ~open_commitment,
    )
    return await _deleted(session, statement)


async def delete_stale_drafts(session: AsyncSession, cutoff: datetime) -> int:
    """Guided flows (and what was typed into them) left untouched since before the cutoff.

    Set-up is kept until it is finished (`KEPT_FLOWS`): it holds nothing typed, and a
    member who comes back after months goes on where they stopped.
    """
    return await _deleted(
        session,
        delete(ConversationState).where(
            ConversationState.updated_at < cutoff, ConversationState.flow.not_in(KEPT_FLOWS)
        ),
    )


async def delete_delivery_history(session: AsyncSession, cutoff: datetime) -> int:
    """Finished deliveries slotted before the cutoff, but for what the rotation needs.

    The card rotation (`content.rotation`) reads when a card was last shown
    (`storage.deliveries.card_history`, sent or blocked): for each member, card and
    question the latest prompt is kept, and the latest shown one if that is another,
    however old. Such a row holds no member's words: card key, question number, status
    and moments. Which questions were asked lives in `asked_questions`, which retention
    leaves alone: it holds no words either, and is bounded by the curriculum.
    """
    newer = aliased(Delivery)
    same_question_later = and_(
        newer.user_id == Delivery.user_id,
        newer.kind.in_(PROMPT_KINDS),
        newer.card_key == Delivery.card_key,
        newer.question_index.is_not_distinct_from(Delivery.question_index),
        newer.slot_at > Delivery.slot_at,
    )
    shown = Delivery.status.in_(_SHOWN)
    replaced = or_(
        and_(shown, exists().where(same_question_later, newer.status.in_(_SHOWN))),
        and_(~shown, exists().where(same_question_later)),
    )
    needed_by_rotation = and_(
        Delivery.kind.in_(PROMPT_KINDS), Delivery.card_key.is_not(None), ~replaced
    )
    statement = delete(Delivery).where(
        Delivery.status.in_(FINISHED_DELIVERIES),
        Delivery.slot_at < cutoff,
        ~needed_by_rotation,
    )
    return await _deleted(session, statement)


def _long_blocked(cutoff: datetime) -> ColumnElement[bool]:
    return and_(User.status == UserStatus.BLOCKED, User.updated_at < cutoff)


async def long_blocked_member_ids(session: AsyncSession, cutoff: datetime) -> Sequence[int]:
    """Members who blocked the bot before the cutoff and have not come back."""
    query = select(User.id).where(_long_blocked(cutoff))
    return (await session.execute(query)).scalars().all()


async def still_long_blocked(session: AsyncSession, user_id: int, cutoff: datetime) -> bool:
    """Whether the member is still blocked since before the cutoff, locking their row."""
    query = select(User.id).where(User.id == user_id, _long_blocked(cutoff)).with_for_update()
    return (await session.execute(query)).scalar_one_or_none() is not None
