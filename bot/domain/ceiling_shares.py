"""One ceiling for the whole bot: processes on one database share Telegram's limits.

Telegram counts a bot's messages per token, not per process. Each process holds a share
of each ceiling (in whole messages a second) for a short lease and renews it while it
sends; its pacer keeps its own sends within its share in every second. The shares are
rows in the database, changed one transaction at a time, so that:

- **together they never exceed the ceiling.** A process writes beside its share what its
  sends can take up of a second from any moment on (`Window`: its sends in flight,
  and its counted ones by when they leave Telegram's window; or its share, whichever is
  more), and a process is given only what the others' sends leave at the moment it
  renews. A process that gives up part of its share keeps it reserved until its sends
  of the last second have left the window, and the others see them leave as they do,
  not at its next renewal.
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
    "LEAVING_STEP",
    "LEAVING_STEPS",
    "Settle",
    "ShareAsk",
    "ShareGrant",
    "Window",
    "even_split",
    "renew_shares",
    "taken_up",
]

# How long a share is held without renewing it (a process renews several times a second
# while it sends, so a slow database does not stop its sends at once).
LEASE_SECONDS = 2.0
# How long after its lease a process's last sends may still count in Telegram's window
# (a second, and the time an answer can be late).
DRAIN_SECONDS = 1.2


# When a process's counted sends leave Telegram's window is told in steps of this many
# seconds after the moment it began to renew, a second's worth of them.
LEAVING_STEP = 0.05
LEAVING_STEPS = 20


@dataclass(frozen=True, slots=True)
class Window:
    """A process's sends that can still count against a ceiling, from a moment on.

    `staying`: those that may count a whole second more (in flight: they are counted
    at their answer); `leaving[k]`: counted ones that leave the window within
    `(k + 1) * LEAVING_STEP` seconds of that moment.
    """

    staying: int
    leaving: tuple[int, ...] = ()

    def after(self, seconds: float) -> int:
        """How many can still count `seconds` after the moment."""
        gone = max(0, int(seconds / LEAVING_STEP))
        return self.staying + sum(self.leaving[gone:])


# Takes a smaller share of a ceiling into use at once, before it is written; returns the
# process's window counted again, relative to the moment it began to renew.
Settle = Callable[[str, int], Window]


@dataclass(frozen=True, slots=True)
class ShareAsk:
    """What a process tells about one ceiling when it renews its share.

    `units`: the whole ceiling (messages a second); `held`: the share it may use until
    the renewal takes effect; `window`: its sends that can still count, from the moment
    it began to renew; `demand`: what it would use (its sends of the last second and
    those waiting; 0: it is idle and gives its share back).
    """

    ceiling: str
    units: int
    held: int
    window: Window
    demand: int


@dataclass(frozen=True, slots=True)
class ShareGrant:
    """A process's share of one ceiling until its lease ends.

    `rising`: while the others' sends leave the window, the share grows to `held` in
    steps of `LEAVING_STEP`: `rising[k]` from `k * LEAVING_STEP` seconds after the
    renewal on (empty: all of `held` at once). `contended`: some process holds less
    than its part of the split (while others still give theirs back), so renewing soon
    helps: the shares move as their holders renew; `shared`: other processes hold or
    reserve part of it.
    """

    ceiling: str
    held: int
    contended: bool
    shared: bool
    rising: tuple[int, ...] = ()


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
        # The moment the process began to renew is no later than this, on this clock:
        # its sends leave the window no later than it says, counted from here.
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
            grant = _grant(holder, ask, others, now)
            # Until this commits, the share held before still holds, unless it is kept
            # to the smaller one at once (then the window is counted again).
            reserved, window = max(ask.held, grant.held), ask.window
            if settle is not None and grant.held < ask.held:
                reserved, window = grant.held, settle(ask.ceiling, grant.held)
            grants.append(grant)
            mine.append(
                ShareRow(
                    holder,
                    ask.ceiling,
                    held=grant.held,
                    reserved=reserved,
                    staying=window.staying,
                    leaving=list(window.leaving),
                    demand=ask.demand,
                    renewed_at=now,
                    expires_at=expires_at,
                )
            )
        await put_ceiling_shares(session, mine)
    return grants


def taken_up(row: ShareRow, now: datetime) -> int:
    """What a holder's sends take up of the second from `now` on (its row still counting)."""
    window = Window(row.staying, tuple(row.leaving))
    return max(row.reserved, window.after((now - row.renewed_at).total_seconds()))


def _grant(holder: str, ask: ShareAsk, others: list[ShareRow], now: datetime) -> ShareGrant:
    """The share `holder` gets of one ceiling beside the `others`."""
    # Demands count only while their lease runs.
    leased = [row for row in others if row.expires_at > now]
    demands = {row.holder: row.demand for row in leased if row.demand > 0}
    if ask.demand > 0:
        demands[holder] = ask.demand
    targets = even_split(ask.units, demands)
    target = targets.get(holder, 0)
    # What the others' sends leave, step by step over the next second, then for good.
    free = [
        ask.units - sum(taken_up(row, now + timedelta(seconds=k * LEAVING_STEP)) for row in others)
        for k in range(LEAVING_STEPS + 1)
    ]
    rising = tuple(max(0, min(target, room)) for room in free[:-1])
    held = max(0, min(target, free[-1]))
    contended = held < target or any(targets.get(row.holder, 0) > row.held for row in leased)
    shared = free[0] < ask.units or any(row.demand for row in leased)
    return ShareGrant(ask.ceiling, held, contended, shared, rising if rising[0] < held else ())
