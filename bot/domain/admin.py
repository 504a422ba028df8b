"""What operators may do: aggregate statistics, and who counts as an admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.runtime import Runtime
from storage.models import Commitment, Reflection, UserStatus
from storage.stats import (
    active_member_count,
    creation_times,
    kept_counts,
    member_counts,
    members_per_network,
)

__all__ = [
    "STATS_WEEKS",
    "NetworkCount",
    "NetworkStats",
    "is_admin",
    "network_counts",
    "network_stats",
]

STATS_WEEKS = 4


@dataclass(frozen=True, slots=True)
class NetworkCount:
    """Members who came through one network's invite link, and how many were active.

    Counts of one to four are shown as "<5" (a small group's active count never), so an
    operator who knows who joined through a link cannot read off what one member did.
    """

    code: str
    members: int
    active_this_week: int

    @property
    def shown_members(self) -> str:
        """The member count as shown to operators."""
        return _small_as_range(self.members)

    @property
    def shown_active(self) -> str:
        """The active count as shown: not at all for a group of one to four."""
        if 0 < self.members < SMALL_GROUP:
            return f"<{SMALL_GROUP}"
        return _small_as_range(self.active_this_week)


SMALL_GROUP = 5


def _small_as_range(count: int) -> str:
    return f"<{SMALL_GROUP}" if 0 < count < SMALL_GROUP else str(count)


@dataclass(frozen=True, slots=True)
class NetworkStats:
    """Counts across the network; nothing about any one member."""

    members: dict[UserStatus, int]
    active_this_week: int
    reflections_per_week: tuple[int, ...]  # newest week first
    commitments_per_week: tuple[int, ...]
    kept: int
    judged: int
    # One per network of NETCOACH_NETWORKS (and any no longer listed that has members).
    networks: tuple[NetworkCount, ...] = ()

    @property
    def total_members(self) -> int:
        """Everyone with a record, whatever their status."""
        return sum(self.members.values())


def is_admin(runtime: Runtime, telegram_id: int) -> bool:
    """Only ids in NETCOACH_ADMIN_IDS may use admin commands."""
    return telegram_id in runtime.settings.admin_ids


def _per_week(moments: list[datetime], now: datetime, weeks: int) -> tuple[int, ...]:
    counts = [0] * weeks
    for moment in moments:
        week = int((now - moment) / timedelta(days=7))
        if 0 <= week < weeks:
            counts[week] += 1
    return tuple(counts)


async def network_stats(runtime: Runtime) -> NetworkStats:
    """Members by status, activity this week, and weekly counts for the last four weeks."""
    now = runtime.clock.now()
    since = now - timedelta(days=7 * STATS_WEEKS)
    async with runtime.sessions() as session:
        members = await member_counts(session)
        active = await active_member_count(session, now - timedelta(days=7))
        reflections = await creation_times(session, Reflection, since)
        commitments = await creation_times(session, Commitment, since)
        kept, judged = await kept_counts(session)
        per_network = await members_per_network(session, now - timedelta(days=7))
    return NetworkStats(
        members=members,
        active_this_week=active,
        reflections_per_week=_per_week(reflections, now, STATS_WEEKS),
        commitments_per_week=_per_week(commitments, now, STATS_WEEKS),
        kept=kept,
        judged=judged,
        networks=networks_counted(runtime.settings.networks, per_network),
    )


async def network_counts(runtime: Runtime) -> tuple[NetworkCount, ...]:
    """Members per network (invite link), and how many of them were active this week."""
    async with runtime.sessions() as session:
        counted = await members_per_network(session, runtime.clock.now() - timedelta(days=7))
    return networks_counted(runtime.settings.networks, counted)


def networks_counted(
    configured: frozenset[str], counted: dict[str, tuple[int, int]]
) -> tuple[NetworkCount, ...]:
    """Every configured network (none yet: zero) and every counted one, by code."""
    codes = sorted(configured | counted.keys())
    return tuple(NetworkCount(code, *counted.get(code, (0, 0))) for code in codes)
