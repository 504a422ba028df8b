"""Small factories for a member's past: reflections, commitments, contacts, at given moments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.members import reschedule
from bot.domain.runtime import Runtime
from storage.crypto import blind_index
from storage.models import (
    Commitment,
    CommitmentStatus,
    Contact,
    Interaction,
    Reflection,
    User,
    UserStatus,
)

__all__ = [
    "PRINCIPLE_CARDS",
    "HistoryBuilder",
    "member",
    "year_of_history",
]

# The eight principles and rules, in curriculum order.
PRINCIPLE_CARDS = (
    "principle-cooperation",
    "principle-trust",
    "principle-reliability",
    "principle-negotiation",
    "rule-fairness",
    "rule-discretion",
    "rule-contact-care",
    "rule-give-and-take",
)


async def member(
    runtime: Runtime,
    telegram_id: int,
    *,
    language: str = "de",
    timezone: str = "Europe/Berlin",
    joined: datetime | None = None,
) -> int:
    """An onboarded, active member (weekly slot Thursday 09:00); returns their id."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = User(
            telegram_id=telegram_id,
            chat_id=telegram_id,
            language=language,
            timezone=timezone,
            slot_weekday=3,
            slot_minute=9 * 60,
            status=UserStatus.ACTIVE,
            onboarded_at=joined or now,
            created_at=joined or now,
            updated_at=now,
        )
        reschedule(user, now)
        session.add(user)
        await session.flush()
        return user.id


@dataclass
class HistoryBuilder:
    """Adds rows for one member; each call is its own short transaction."""

    runtime: Runtime
    user_id: int

    async def reflection(self, card_key: str, at: datetime, text: str = "Notiz") -> None:
        """A reflection on `card_key` written at `at`."""
        async with self.runtime.sessions.begin() as session:
            session.add(
                Reflection(user_id=self.user_id, card_key=card_key, text=text, created_at=at)
            )

    async def commitment(
        self,
        card_key: str | None,
        made: datetime,
        *,
        kept: datetime | None = None,
        released: datetime | None = None,
        renegotiated: datetime | None = None,
        contact: str | None = None,
        action: str = "Anrufen",
        due: datetime | None = None,
        follow_up: bool = False,
    ) -> int:
        """A commitment made at `made`: open, or kept / released at the given moment.

        Due five days after it was made unless `due` says; with `follow_up`, the bot asks
        about it at that moment.
        """
        due_at = due or made + timedelta(days=5)
        status = CommitmentStatus.OPEN
        closed = None
        if kept is not None:
            status, closed = CommitmentStatus.DONE, kept
        elif released is not None:
            status, closed = CommitmentStatus.RELEASED, released
        async with self.runtime.sessions.begin() as session:
            contact_id = None
            if contact is not None:
                contact_id = (await self._contact(session, contact, made)).id
            row = Commitment(
                user_id=self.user_id,
                contact_id=contact_id,
                card_key=card_key,
                action=action,
                status=status,
                due_at=due_at,
                followup_at=due_at if follow_up else None,
                pings=0,
                on_time=True if kept is not None else None,
                renegotiations=1 if renegotiated is not None else 0,
                renegotiated_at=renegotiated,
                closed_at=closed,
                created_at=made,
            )
            session.add(row)
            await session.flush()
            if kept is not None and contact_id is not None:
                session.add(
                    Interaction(
                        user_id=self.user_id,
                        contact_id=contact_id,
                        commitment_id=row.id,
                        created_at=kept,
                    )
                )
            return row.id

    async def contact(
        self, name: str, *, every_days: int | None = None, next_checkin: datetime | None = None
    ) -> None:
        """A contact, optionally with a stay-in-touch cadence due at `next_checkin`."""
        async with self.runtime.sessions.begin() as session:
            found = await self._contact(session, name, self.runtime.clock.now())
            found.cadence_days = every_days
            found.next_checkin_at = next_checkin

    async def _contact(self, session: AsyncSession, name: str, now: datetime) -> Contact:
        key = blind_index(name, self.user_id)
        query = select(Contact).where(Contact.user_id == self.user_id, Contact.name_key == key)
        found = (await session.execute(query)).scalar_one_or_none()
        if found is None:
            found = Contact(
                user_id=self.user_id, name=name, name_key=key, checkin_pings=0, created_at=now
            )
            session.add(found)
            await session.flush()
        return found


async def year_of_history(builder: HistoryBuilder, now: datetime) -> None:
    """Fifty-two weeks of a real-looking practice, ending a few days before `now`.

    Most weeks bring a reflection on the card of the week, every other week a commitment
    (mostly kept after three days, some released, the last few still open); three weeks
    in spring are a holiday with nothing at all, and Verhandeln is never touched after
    the first round, so it is the principle with the least recent evidence.
    """
    holiday = {20, 21, 22}
    people = ("Anna", "Tom", "Priya", "Jonas")
    for week in range(52, 0, -1):
        if week in holiday:
            continue
        moment = now - timedelta(weeks=week) + timedelta(days=2)
        card = PRINCIPLE_CARDS[week % len(PRINCIPLE_CARDS)]
        if card == "principle-negotiation" and week < 40:
            card = "rule-give-and-take"
        if week % 5 != 0:
            await builder.reflection(card, moment)
        if week % 2 == 0:
            made = moment + timedelta(hours=2)
            person = people[week % len(people)]
            if week <= 4:
                await builder.commitment(card, made, contact=person)
            elif week % 12 == 0:
                await builder.commitment(card, made, released=made + timedelta(days=4))
            else:
                await builder.commitment(card, made, kept=made + timedelta(days=3), contact=person)
