"""Small factories for members who are already set up, for stories that start later."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.members import reschedule
from bot.domain.runtime import Runtime
from simulator import SimUser, TelegramSimulator
from storage.crypto import FieldCipher, blind_index, generate_key, using_cipher
from storage.models import Commitment, CommitmentStatus, Contact, User, UserStatus
from storage.users import get_user_by_telegram_id

PROMPTS_LATER = datetime(2030, 1, 1, tzinfo=UTC)

__all__ = ["PROMPTS_LATER", "add_member_with_much_due", "add_members", "member_in_chat", "sealed"]


async def add_members(
    runtime: Runtime,
    telegram_ids: list[int],
    *,
    timezone: str = "Europe/Berlin",
    weekday: int = 3,
    minute: int = 9 * 60,
    language: str = "de",
    next_prompt_at: datetime | None = None,
) -> None:
    """Onboarded, active members with a weekly slot (optionally due at `next_prompt_at`)."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        for telegram_id in telegram_ids:
            user = User(
                telegram_id=telegram_id,
                chat_id=telegram_id,
                language=language,
                timezone=timezone,
                slot_weekday=weekday,
                slot_minute=minute,
                status=UserStatus.ACTIVE,
                onboarded_at=now,
                created_at=now,
                updated_at=now,
            )
            reschedule(user, now)
            if next_prompt_at is not None:
                user.next_prompt_at = next_prompt_at
            session.add(user)


async def add_member_with_much_due(
    runtime: Runtime, telegram_id: int, *, commitments: int, contacts: int
) -> None:
    """A member whose commitments and check-ins all fall due now (quiet hours lined them up)."""
    now = runtime.clock.now()
    await add_members(runtime, [telegram_id], next_prompt_at=now + timedelta(days=3))
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, telegram_id)
        assert user is not None
        names = [f"Kontakt {number}" for number in range(contacts)]
        session.add_all(
            Contact(
                user_id=user.id,
                name=name,
                name_key=blind_index(name.lower(), user.id),
                cadence_days=30,
                next_checkin_at=now,
                checkin_pings=0,
                created_at=now,
            )
            for name in names
        )
        session.add_all(
            Commitment(
                user_id=user.id,
                action=f"Anruf Nummer {number}",
                status=CommitmentStatus.OPEN,
                due_at=now,
                followup_at=now,
                pings=0,
                renegotiations=0,
                created_at=now,
            )
            for number in range(commitments)
        )


async def member_in_chat(
    sim: TelegramSimulator, runtime: Runtime, name: str, language: str
) -> SimUser:
    """A member set up already (Berlin in German, London in English) whose weekly prompts
    are years away: for stories about what they do in the chat."""
    user = sim.user(name, language_code=language)
    zone = "Europe/Berlin" if language == "de" else "Europe/London"
    await add_members(
        runtime, [user.id], timezone=zone, language=language, next_prompt_at=PROMPTS_LATER
    )
    return user


@pytest.fixture
def sealed() -> Iterator[None]:
    """Free text encrypted at rest, as an operator who promises discretion runs the bot."""
    with using_cipher(FieldCipher(generate_key())):
        yield
