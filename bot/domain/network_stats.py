"""What operators see: members active and commitments kept per week, aggregates only.

Weeks are calendar weeks (Monday to Sunday) in UTC; no member is named or counted twice
in a week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.runtime import Runtime
from storage.progress import active_member_moments, kept_moments

__all__ = ["NetworkWeek", "network_weeks"]


@dataclass(frozen=True, slots=True)
class NetworkWeek:
    """One week across the network."""

    start: date
    active_members: int
    kept: int


def _monday(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


async def network_weeks(runtime: Runtime, weeks: int = 12) -> tuple[NetworkWeek, ...]:
    """The last `weeks` UTC calendar weeks, oldest first, the current one last.

    A member is active in a week when they wrote a reflection, made or closed a
    commitment, or logged an interaction in it.
    """
    now = runtime.clock.now()
    first = _monday(now) - timedelta(weeks=weeks - 1)
    start = datetime.combine(first, time(), tzinfo=UTC)
    end = start + timedelta(weeks=weeks)
    async with runtime.sessions() as session:
        moments = await active_member_moments(session, start, end)
        kept = await kept_moments(session, start, end)
    active: dict[date, set[int]] = {}
    for user_id, at in moments:
        active.setdefault(_monday(at), set()).add(user_id)
    kept_per_week: dict[date, int] = {}
    for at in kept:
        kept_per_week[_monday(at)] = kept_per_week.get(_monday(at), 0) + 1
    days = [first + timedelta(weeks=n) for n in range(weeks)]
    return tuple(
        NetworkWeek(day, len(active.get(day, ())), kept_per_week.get(day, 0)) for day in days
    )
