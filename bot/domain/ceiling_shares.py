"""One ceiling for the whole bot: processes on one database share Telegram's limits.

Telegram counts a bot's messages per token, not per process. Each process holds a share
of each ceiling (in whole messages a second) for a short lease and renews it while it
sends; its pacer keeps its own sends within its share in every second. The shares are
rows in the database, changed one transaction at a time, so that:

- **together they never exceed the ceiling.** A process writes beside its share what its
  sends can still take up in a second from now (`reserved`: its share, or its sends of
  the last second and those in flight, whichever is more), and a process is given only
  what the others' reservations leave. A process that gives up part of its share keeps
  it reserved until its sends of the last second have left the window.
- **the ceiling goes where the work is.** Processes with sends waiting or going say how
  many (`demand`); the ceiling is split between them evenly, a process that needs less
  than an even split getting what it needs (water-filling), the rest again evenly.
  An idle process holds nothing.
- **a dead process's share comes back within seconds.** A lease lasts `LEASE_SECONDS`;
  a process that stops renewing stops sending when it ends, and its reservation counts
  `DRAIN_SECONDS` longer (its last sends may still be in the window), then no more.
- **a process alone holds the whole ceiling**: one more transaction when it starts
  sending after a quiet spell, two a second while it sends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.ceiling_shares import (
    ShareRow,
    ceiling_shares,
    forget_shares,
    lock_ceiling_shares,
    put_ceiling_shares,
)

__all__ = [
    "DRAIN_SECONDS",
    "LEASE_SECONDS",
    "Settle",
    "ShareAsk",
    "ShareGrant",
    "even_split",
    "renew_shares",
]

# How long a share is held without renewing it (a process renews several times a second
# while it sends, so a slow database does not stop its sends at once).
LEASE_SECONDS = 2.0
# How long after its lease a process's last sends may still count in Telegram's window
# (a second, and the time an answer can be late).
DRAIN_SECONDS = 1.2


# Takes a smaller share of a ceiling into use at once, before it is written; returns the
# sends that can still count in a second from now (`ShareAsk.in_window`, counted again).
Settle = Callable[[str, int], int]


@dataclass(frozen=True, slots=True)
class ShareAsk:
    """What a process tells about one ceiling when it renews its share.

    `units`: the whole ceiling (messages a second); `held`: the share it may use until
    the renewal takes effect; `in_window`: its sends that can still count in a second
    from now; `demand`: what it would use (its sends of the last second and those
    waiting; 0: it is idle and gives its share back).
    """

    ceiling: str
    units: int
    held: int
    in_window: int
    demand: int


@dataclass(frozen=True, slots=True)
class ShareGrant:
    """A process's share of one ceiling until its lease ends.

    `contended`: some process holds less than its part of the split (while others still
    give theirs back), so renewing soon helps: the shares move as their holders renew;
    `shared`: other processes hold or reserve part of it.
    """

    ceiling: str
    held: int
    contended: bool
    shared: bool


def even_split(units: int, demands: dict[str, int]) -> dict[str, int]:
    """Split `units` between holders by their demands: water-filling, the rest evenly.

    A holder asking for less than an even split gets what it asks for; the others split
    what is left evenly; whatever nobody asked for is split evenly among all of them.
    Holders are taken in the order of their names, so every process reckons alike.
    """
    if not demands:
        return {}
    given: dict[str, int] = {}
    left = units
    by_demand = sorted(demands, key=lambda holder: (min(demands[holder], units), holder))
    for taken, holder in enumerate(by_demand):
        fair = left // (len(by_demand) - taken)
        given[holder] = min(demands[holder], units, fair)
        left -= given[holder]
    holders = sorted(demands)
    for number, holder in enumerate(holders):
        given[holder] += left // len(holders) + (1 if number < left % len(holders) else 0)
    return given


async def renew_shares(
    sessions: async_sessionmaker[AsyncSession],
    holder: str,
    asks: Sequence[ShareAsk],
    *,
    lease: float = LEASE_SECONDS,
    drain: float = DRAIN_SECONDS,
    settle: Settle | None = None,
) -> list[ShareGrant]:
    """Renew `holder`'s share of each ceiling asked about, for `lease` seconds from now.

    The new share holds from when this returns until `lease` seconds after it was
    called; until it returns, the share held before does. A share that shrinks is
    handed to `settle` before it is written, if given: once the process keeps to it,
    only its sends so far stay reserved beyond it (not the larger share it held), and
    the others get the rest a renewal sooner.
    """
    async with sessions.begin() as session:
        now = await lock_ceiling_shares(session)
        # Reservations count until their lease and drain are over; then they are gone.
        counting: list[ShareRow] = []
        lapsed: list[ShareRow] = []
        for row in await ceiling_shares(session):
            if row.holder != holder:
                fresh = row.expires_at + timedelta(seconds=drain) > now
                (counting if fresh else lapsed).append(row)
        await forget_shares(session, lapsed)
        grants: list[ShareGrant] = []
        mine: list[ShareRow] = []
        expires_at = now + timedelta(seconds=lease)
        for ask in asks:
            others = [row for row in counting if row.ceiling == ask.ceiling]
            grant, reserved = _grant(holder, ask, others, now)
            if settle is not None and grant.held < ask.held:
                reserved = max(grant.held, settle(ask.ceiling, grant.held))
            grants.append(grant)
            mine.append(ShareRow(holder, ask.ceiling, grant.held, reserved, ask.demand, expires_at))
        await put_ceiling_shares(session, mine)
    return grants


def _grant(
    holder: str, ask: ShareAsk, others: list[ShareRow], now: datetime
) -> tuple[ShareGrant, int]:
    """The share `holder` gets of one ceiling beside the `others`, and what it reserves."""
    # Demands count only while their lease runs.
    leased = [row for row in others if row.expires_at > now]
    demands = {row.holder: row.demand for row in leased if row.demand > 0}
    if ask.demand > 0:
        demands[holder] = ask.demand
    targets = even_split(ask.units, demands)
    target = targets.get(holder, 0)
    left = ask.units - sum(row.reserved for row in others)
    held = max(0, min(target, left))
    # Until this commits, the share held before still holds; sends already made count too.
    reserved = max(ask.held, held, ask.in_window)
    contended = held < target or any(targets.get(row.holder, 0) > row.held for row in leased)
    shared = any(row.reserved or row.demand for row in others)
    return ShareGrant(ask.ceiling, held, contended, shared), reserved
