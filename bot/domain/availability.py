"""Whether the bot writes to a member: `/pause`, `/resume`, and members who block the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.durations import parse_duration
from bot.domain.followups import FOLLOWUP_KINDS
from bot.domain.limits import Limit, LimitReached, over_text_limit
from bot.domain.members import Identity, Member, member_from_row, reschedule
from bot.domain.prompts import mark_blocked
from bot.domain.runtime import Runtime
from storage.commitments import release_held_followups
from storage.contacts import release_held_checkins
from storage.deliveries import release_held_deliveries
from storage.models import UserStatus
from storage.users import get_user_by_telegram_id

__all__ = ["PauseOutcome", "bot_blocked", "pause", "resume"]


@dataclass(frozen=True, slots=True)
class PauseOutcome:
    """The result of `/pause`; `bad_duration` or `limit` mean nothing changed."""

    member: Member
    now: datetime  # when paused: an end in another year shows it
    until: datetime | None = None
    bad_duration: bool = False
    limit: LimitReached | None = None


async def pause(runtime: Runtime, who: Identity, duration_text: str | None) -> PauseOutcome | None:
    """Stop prompts until `/resume`, or for a while (`/pause 3w`). None for unknown members."""
    too_long = over_text_limit(Limit.PAUSE_TEXT, duration_text) if duration_text else None
    duration = parse_duration(duration_text) if duration_text and too_long is None else None
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        if too_long is not None:
            return PauseOutcome(member_from_row(user), now, limit=too_long)
        if duration_text and duration is None:
            return PauseOutcome(member_from_row(user), now, bad_duration=True)
        until = now + duration if duration else None
        user.status = UserStatus.PAUSED
        user.paused_until = until
        # The dispatcher's due query also wakes paused members when their pause ends.
        user.next_prompt_at = until
        user.updated_at = now
        return PauseOutcome(member_from_row(user), now, until=until)


async def resume(runtime: Runtime, who: Identity) -> Member | None:
    """Prompts again from the next regular slot on; what the pause held is due now."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        if user.status is UserStatus.PAUSED:
            await release_held_followups(session, user.id, user.paused_until, now)
            if user.paused_until is not None:
                await release_held_checkins(session, user.id, user.paused_until, now)
            # Follow-ups and check-ins made before the pause began wait for its end too.
            await release_held_deliveries(session, user.id, FOLLOWUP_KINDS, now)
        user.status = UserStatus.ACTIVE
        user.paused_until = None
        user.updated_at = now
        reschedule(user, now)
        return member_from_row(user)


async def bot_blocked(runtime: Runtime, telegram_id: int) -> None:
    """Telegram says the member blocked the bot: stop all sends until they write again."""
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, telegram_id)
        if user is not None:
            mark_blocked(user, runtime.clock.now())
