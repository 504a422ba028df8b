"""Members as plain data, and the one place that decides when their next prompt is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.schedule import next_slot_after
from storage.models import ReviewPlacement, User, UserStatus

__all__ = ["Identity", "Member", "member_from_row", "reschedule"]


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is writing, as Telegram tells it."""

    telegram_id: int
    chat_id: int
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """A member's settings, detached from the database."""

    id: int
    telegram_id: int
    chat_id: int
    language: str
    timezone: str | None
    slot_weekday: int | None
    slot_minute: int | None
    status: UserStatus
    next_prompt_at: datetime | None
    paused_until: datetime | None
    onboarded: bool
    review_placement: ReviewPlacement = ReviewPlacement.INLINE

    @property
    def has_schedule(self) -> bool:
        """Time zone, weekday and time are all chosen."""
        return (
            self.timezone is not None
            and self.slot_weekday is not None
            and self.slot_minute is not None
        )


def member_from_row(user: User) -> Member:
    """Copy the row into a plain object for the layers above."""
    return Member(
        id=user.id,
        telegram_id=user.telegram_id,
        chat_id=user.chat_id,
        language=user.language,
        timezone=user.timezone,
        slot_weekday=user.slot_weekday,
        slot_minute=user.slot_minute,
        status=user.status,
        next_prompt_at=user.next_prompt_at,
        paused_until=user.paused_until,
        onboarded=user.onboarded_at is not None,
        review_placement=user.review_placement or ReviewPlacement.INLINE,
    )


def reschedule(user: User, now: datetime) -> None:
    """Set the next weekly prompt from the member's slot, or clear it.

    Only active, fully onboarded members have a due time, so the dispatcher's due
    query needs nothing but the index on `next_prompt_at`.
    """
    if (
        user.status is UserStatus.ACTIVE
        and user.onboarded_at is not None
        and user.timezone is not None
        and user.slot_weekday is not None
        and user.slot_minute is not None
    ):
        user.next_prompt_at = next_slot_after(
            now, user.timezone, user.slot_weekday, user.slot_minute
        )
    else:
        user.next_prompt_at = None
