"""Small factories for members who are already set up, for stories that start later."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.domain.members import reschedule
from bot.domain.runtime import Runtime
from simulator import SimUser, TelegramSimulator
from storage.crypto import FieldCipher, generate_key, using_cipher
from storage.models import User, UserStatus

PROMPTS_LATER = datetime(2030, 1, 1, tzinfo=UTC)

__all__ = ["PROMPTS_LATER", "add_members", "member_in_chat", "sealed"]


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
