"""Admin broadcasts: preview, confirm, and one delivery per active member through the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.members import Identity
from bot.domain.runtime import Runtime
from storage.conversations import clear_state, get_state, set_state
from storage.models import Broadcast, Delivery, DeliveryKind, DeliveryStatus, User, UserStatus
from storage.types import UTCDateTime
from storage.unreadable import is_unreadable
from storage.users import get_user_by_telegram_id

__all__ = [
    "BROADCAST_FLOW",
    "MAX_BROADCAST_LENGTH",
    "BroadcastMessage",
    "BroadcastPreview",
    "broadcast_for",
    "cancel_broadcast",
    "confirm_broadcast",
    "prepare_broadcast",
]

BROADCAST_FLOW = "broadcast"
# Leaves room under Telegram's 4096 characters for the preview's own lines. Counted as
# Telegram counts, in UTF-16 code units: an emoji outside the BMP takes two.
MAX_BROADCAST_LENGTH = 3500


@dataclass(frozen=True, slots=True)
class BroadcastPreview:
    """What the admin is about to send, and to how many members; `too_long` refuses it."""

    language: str
    text: str
    recipients: int
    too_long: bool = False


@dataclass(frozen=True, slots=True)
class BroadcastMessage:
    """A leased broadcast delivery, ready to send."""

    delivery_id: int
    chat_id: int
    language: str
    text: str
    # When the delivery fell due (when the admin confirmed the broadcast).
    slot_at: datetime
    # An earlier send may have reached the member (it timed out): one more try at most.
    maybe_sent: bool = False

    @property
    def kind(self) -> DeliveryKind:
        """Always a broadcast (the dispatcher counts sends by kind)."""
        return DeliveryKind.BROADCAST


def _recipients() -> Select[int]:
    """Members who take messages: active and set up."""
    return select(User.id).where(User.status == UserStatus.ACTIVE, User.onboarded_at.is_not(None))


async def _count_recipients(session: AsyncSession) -> int:
    query = select(func.count()).select_from(_recipients().subquery())
    return int((await session.execute(query)).scalar_one())


async def prepare_broadcast(runtime: Runtime, who: Identity, text: str) -> BroadcastPreview:
    """Keep the text for confirmation and say how many members would get it."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        assert user is not None  # the handler made sure the admin has a row
        recipients = await _count_recipients(session)
        if len(text.encode("utf-16-le")) // 2 > MAX_BROADCAST_LENGTH:
            return BroadcastPreview(user.language, text, recipients, too_long=True)
        await set_state(
            session, user.id, flow=BROADCAST_FLOW, step="confirm", data={"text": text}, now=now
        )
        return BroadcastPreview(user.language, text, recipients)


async def confirm_broadcast(runtime: Runtime, who: Identity) -> int | None:
    """Queue the prepared broadcast for every active member; None if nothing was prepared."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        state = await get_state(session, user.id) if user is not None else None
        if user is None or state is None or state.flow != BROADCAST_FLOW:
            return None
        recipients = await _count_recipients(session)
        broadcast = Broadcast(
            text=str(state.data["text"]),
            sent_by=who.telegram_id,
            recipients=recipients,
            created_at=now,
        )
        session.add(broadcast)
        await session.flush()
        moment = literal(now, UTCDateTime())
        # One statement for any number of members: no per-member work in Python.
        await session.execute(
            insert(Delivery).from_select(
                [
                    Delivery.user_id,
                    Delivery.kind,
                    Delivery.slot_at,
                    Delivery.status,
                    Delivery.due_at,
                    Delivery.attempts,
                    Delivery.broadcast_id,
                    Delivery.created_at,
                ],
                select(
                    User.id,
                    literal(DeliveryKind.BROADCAST.value),
                    moment,
                    literal(DeliveryStatus.PENDING.value),
                    moment,
                    literal(0),
                    literal(broadcast.id),
                    moment,
                ).where(User.id.in_(_recipients())),
            )
        )
        await clear_state(session, user.id)
        return recipients


async def cancel_broadcast(runtime: Runtime, who: Identity) -> None:
    """Forget the prepared broadcast."""
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        state = await get_state(session, user.id) if user is not None else None
        if user is not None and state is not None and state.flow == BROADCAST_FLOW:
            await clear_state(session, user.id)


async def broadcast_for(
    session: AsyncSession, delivery: Delivery, user: User
) -> BroadcastMessage | None:
    """What a leased broadcast delivery shows; None if the broadcast is gone or unreadable."""
    broadcast = (
        await session.get(Broadcast, delivery.broadcast_id) if delivery.broadcast_id else None
    )
    if broadcast is None or is_unreadable(broadcast.text):
        return None
    return BroadcastMessage(
        delivery.id, user.chat_id, user.language, broadcast.text, slot_at=delivery.slot_at
    )
