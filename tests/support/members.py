"""Small factories for members who are already set up, for stories that start later."""

from __future__ import annotations

from datetime import datetime

from bot.domain.members import reschedule
from bot.domain.runtime import Runtime
from storage.models import User, UserStatus

__all__ = ["add_members"]


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
