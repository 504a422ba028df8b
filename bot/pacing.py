"""Pacing outgoing messages to Telegram's limits: a global rate, a gap per chat, 429 pauses.

Telegram counts a bot's sends in a sliding second as they *arrive*, and a send arrives
some time after the pacer lets it go: the request still has to be built and written, the
process may stall (a garbage collection, a busy core), the network may hold it, the
server may be slow to read it. None of that is known when the send starts; all of it
shows in when the answer comes back. So the pacer does not count a send at its start
but at the latest moment Telegram can have counted it:

- never later than its answer (Telegram had the request when it answered), and
- never later than its start plus the time by which its round trip was longer than the
  usual one (the fastest of the recent ones), plus `WINDOW_GUARD_SECONDS`: a send that
  travels the usual way keeps its distance to the sends after it; only the extra time it
  spent on the way can bring it closer to them, and that extra time is part of its round
  trip. The guard covers what a round trip cannot show (how the extra time was split
  between the way there and the way back).

The next send may start once fewer than `rate` sends can be in the last second by that
count. Close to Telegram (a round trip of a few milliseconds) a send is counted at its
answer, a stalled send holds its place in the window for exactly as long as it stalled,
and the window costs the round trip instead of a fixed guard; far away (a round trip of
100 ms) a send is counted long before its answer, so the window does not cost the whole
round trip.

A send that never got its answer (a timeout, a dropped connection, a cancelled task) is
counted at the moment that became clear, as if it had been answered then.

Two ceilings (`Ceiling`): Telegram's free one (`NETCOACH_MAX_MESSAGES_PER_SECOND`, about
30 a second) holds every message sent without `allow_paid_broadcast`; with paid broadcasts
on, a second one (1,000 a second) holds all messages together, and a paid send counts
against it alone. Each ceiling has its own window, spacing and line of senders.

A pacer on its own holds the whole of each ceiling. Processes that share a database share
the ceilings too (`bot.ceiling_shares`): then each holds a share of each ceiling, in whole
messages per second, for a short lease, and sends only within it. Every process keeps its
own sends within its share in every second (counted as above), so together they keep
within the ceiling.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import heapq
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = [
    "CHAT_GAP_SECONDS",
    "GLOBAL_AFTER_CHATS",
    "PAID_BROADCAST_CEILING",
    "REPLY_BURST",
    "ROUND_TRIP_SAMPLES",
    "WINDOW_GUARD_SECONDS",
    "Ceiling",
    "CeilingUse",
    "SendPacer",
    "StartedSend",
    "paced_for",
]

# What a round trip cannot show: how a send's extra time was split between the way there
# and the way back (see the module docstring). Costs nothing close to Telegram, where a
# send is counted at its answer anyway.
WINDOW_GUARD_SECONDS = 0.02
# The usual round trip is the fastest of this many recent ones.
ROUND_TRIP_SAMPLES = 64
# Telegram's 429 does not say whether a chat or the whole bot is over its limit: a 429 for
# one chat holds that chat only, until 429s for this many chats come in a row of sends
# (within a second plus the time that many sends take; then everyone is held). A chat
# held for long (a group's hour) does not count once its 429 is no longer recent.
GLOBAL_AFTER_CHATS = 3
# Telegram's pace in one chat: about one message a second.
CHAT_GAP_SECONDS = 1.0
# Replies may go this many at once to a chat that was quiet (a member clicking through a
# flow does not wait); after that they keep the chat's gap like every other send.
REPLY_BURST = 5
# Messages a second a bot may send with `allow_paid_broadcast` (Bot API 7.11).
PAID_BROADCAST_CEILING = 1000.0


class Ceiling(enum.StrEnum):
    """A limit Telegram puts on the whole bot."""

    FREE = "free"  # messages without `allow_paid_broadcast`
    PAID = "paid"  # all messages, once paid broadcasts are on


@dataclass(frozen=True, slots=True)
class StartedSend:
    """A send the pacer let go, until its answer comes back."""

    chat_id: int
    started: float
    paid: bool = False


@dataclass(frozen=True, slots=True)
class CeilingUse:
    """How a pacer stands with one ceiling, for the share it asks for.

    `units`: the whole ceiling in messages a second; `held`: the share it may use now;
    `in_window`: its sends that can still count in a second from now (counted in the
    last second, or in flight); `waiting`: sends waiting to start.
    """

    ceiling: Ceiling
    units: int
    held: int
    in_window: int
    waiting: int


class _Window:
    """One ceiling as a pacer sees it: the share it holds, its sends in the last second."""

    def __init__(self, ceiling: Ceiling, rate: float) -> None:
        self.ceiling = ceiling
        self.rate = rate
        self.units = max(1, math.floor(rate))
        # The share held (in units) and until when (monotonic); alone, all of it for good.
        # Sends are spaced for the whole ceiling even with a part of it: the window keeps
        # them within the share, and a share that grows (another process giving its back)
        # is used as fast as the other's sends leave the window.
        self.held = self.units
        self.until = math.inf
        # A share that grows as others' sends leave the window: `rising[k]` from
        # `rising_since + k * rising_step` on, then `held`.
        self.rising: tuple[int, ...] = ()
        self.rising_since = 0.0
        self.rising_step = 0.0
        self.interval = 1.0 / rate
        self.next_slot = 0.0
        # When each answered send was counted, earliest first; dropped a second later.
        self.counted: list[float] = []
        self.in_flight = 0
        self.waiting = 0
        # Whoever is next holds the turn while it waits, so sends go in the order they
        # came (replies before scheduled sends that are still waiting).
        self.turn = _Turn()

    def holding(self, now: float) -> int:
        """The share held (all of it, once it has grown), or none once the lease is over."""
        return self.held if now < self.until else 0

    def held_at(self, now: float) -> int:
        """The share that may be used at `now` (none once the lease is over)."""
        if now >= self.until:
            return 0
        step = self._rising_step(now)
        return self.held if step is None else min(self.held, self.rising[step])

    def next_rise(self, now: float) -> float | None:
        """When the share grows next while it is still rising."""
        step = self._rising_step(now)
        return None if step is None else self.rising_since + (step + 1) * self.rising_step

    def _rising_step(self, now: float) -> int | None:
        if not self.rising:
            return None
        step = max(0, int((now - self.rising_since) / self.rising_step))
        return step if step < len(self.rising) else None

    def in_window(self, now: float) -> int:
        """Sends that may still be counted in a second from `now`."""
        counted = self.counted
        while counted and counted[0] + 1.0 <= now:
            heapq.heappop(counted)
        return len(counted) + self.in_flight

    def free_at(self, now: float) -> float | None:
        """When the window has room for one more send, or None while that waits on an answer."""
        counted = self.counted
        in_window = self.in_window(now)
        # How many of the sends that may still be in the window have to leave it first.
        leaving = in_window - self.held_at(now) + 1
        if leaving > len(counted):
            return None
        if leaving <= 0:
            return -math.inf
        return (counted[0] if leaving == 1 else heapq.nsmallest(leaving, counted)[-1]) + 1.0


class SendPacer:
    """Lets sends go so the bot never runs into Telegram's limits.

    Sends go one after another, evenly spaced at `rate_per_second` (no bursts that a
    sliding window would punish); no more than `rate_per_second` of them can have reached
    Telegram within any second (counted as the module docstring explains); a chat gets
    at most one message per `per_chat_interval` on average (a steady pace; a caller may
    allow a short burst to a chat that was quiet); and a 429 holds the chat it came for
    for the `retry_after` Telegram asked for, or everyone when it is not one chat's
    (see `rate_limited`). With `paid_rate`, sends marked `paid` go under that ceiling
    instead, and every send counts against it.

    Use `sending` around each request that sends a message; `next_start`, `start` and
    `answered` are its steps, for callers (and tests) that drive the clock themselves.
    `uses` and `share` are for `bot.ceiling_shares`, which shares the ceilings between
    processes.
    """

    def __init__(
        self,
        rate_per_second: float,
        *,
        paid_rate: float | None = None,
        per_chat_interval: float = CHAT_GAP_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_second <= 0 or (paid_rate is not None and paid_rate <= 0):
            raise ValueError("rate_per_second must be positive")
        self._free = _Window(Ceiling.FREE, rate_per_second)
        self._paid = _Window(Ceiling.PAID, paid_rate) if paid_rate is not None else None
        self._per_chat_interval = per_chat_interval
        self._monotonic = monotonic
        self._paused_until = 0.0
        # Per chat, when its next send is due at a steady pace (a send may go up to its
        # burst's tolerance before that), and until when a 429 holds it.
        self._chat_next: dict[int, float] = {}
        self._chat_held: dict[int, float] = {}
        # Per chat, when its latest 429 came; kept while it is recent.
        self._chat_refused: dict[int, float] = {}
        self._recent = 1.0 + GLOBAL_AFTER_CHATS / rate_per_second
        self._round_trips: deque[float] = deque(maxlen=ROUND_TRIP_SAMPLES)
        self._an_answer = asyncio.Event()
        self._on_short: Callable[[], None] | None = None

    @property
    def rate_per_second(self) -> float:
        """The highest ceiling any send goes under (the paid one, when paid broadcasts are on)."""
        return max(self._free.rate, self._paid.rate if self._paid else 0.0)

    def now(self) -> float:
        """The pacer's monotonic clock."""
        return self._monotonic()

    @property
    def paid_broadcasts(self) -> bool:
        """Whether sends marked `paid` go under the paid ceiling."""
        return self._paid is not None

    @asynccontextmanager
    async def sending(
        self, chat_id: int, *, burst: int = 1, reply: bool = False, paid: bool = False
    ) -> AsyncIterator[None]:
        """Wait until a message to `chat_id` may go; the block sends it and gets the answer.

        `burst` lets that many go at once to a chat that was quiet (replies to a member
        clicking through a flow); the chat's average pace stays one per gap. A `reply`
        takes its turn before scheduled sends still waiting for theirs, so a member's
        answer does not queue behind a dispatch of thousands. A `paid` send (a paid
        broadcast) goes under the paid ceiling, when there is one.
        """
        await self._wait_for_chat(chat_id, burst)
        send = await self._take_turn(chat_id, reply, paid and self._paid is not None)
        try:
            yield
        finally:
            self.answered(send)

    def next_start(self, waiting_since: float, *, paid: bool = False) -> float | None:
        """When the next send may start, or None while that depends on a send in flight.

        `waiting_since` is when it began to wait: a pacer that was idle does not owe it
        the slots it missed, so sends after a quiet spell are spaced evenly too.
        """
        return self._next_start(self._windows(paid), waiting_since)

    def start(self, chat_id: int, planned: float, *, paid: bool = False) -> StartedSend:
        """Let a send go now; `planned` is the `next_start` it waited for.

        The next slot follows the planned one, not the wake-up: a sender woken a little
        late does not push everyone after it (the window still holds them to the ceiling).
        """
        now = self._monotonic()
        paid = paid and self._paid is not None
        for window in self._windows(paid):
            window.next_slot = max(window.next_slot, planned + window.interval)
            window.in_flight += 1
        chat_next = now + self._per_chat_interval
        if chat_next > self._chat_next.get(chat_id, 0.0):
            self._chat_next[chat_id] = chat_next
        if len(self._chat_next) > 10_000:
            self._chat_next = {chat: t for chat, t in self._chat_next.items() if t > now}
        return StartedSend(chat_id, now, paid)

    def answered(self, send: StartedSend) -> None:
        """The answer to `send` came back (or it failed): count it where it can have landed."""
        now = self._monotonic()
        round_trip = now - send.started
        if self._round_trips:
            extra = max(0.0, round_trip - min(self._round_trips))
            counted_at = min(now, send.started + extra + WINDOW_GUARD_SECONDS)
        else:
            # Nothing to compare the first round trip with: only its answer bounds it.
            counted_at = now
        self._round_trips.append(round_trip)
        for window in self._windows(send.paid):
            window.in_flight -= 1
            heapq.heappush(window.counted, counted_at)
        self._wake_senders()

    def pause_for(self, seconds: float) -> None:
        """Telegram's limit for the whole bot was hit: nobody sends for `seconds`."""
        until = self._monotonic() + seconds
        self._paused_until = max(self._paused_until, until)
        for window in self._all_windows():
            window.next_slot = max(window.next_slot, until)

    def rate_limited(self, chat_id: int | None, seconds: float) -> bool:
        """Telegram answered 429 for `chat_id` (None: not for a chat); True if all must wait.

        A 429 for one chat holds that chat for `seconds` and nobody else. Only when 429s
        for `GLOBAL_AFTER_CHATS` chats came just now (Telegram refusing whatever chat it
        gets: the bot's own limit) or the 429 was not for a chat does everyone pause.
        """
        now = self._monotonic()
        if chat_id is not None:
            self._chat_held[chat_id] = max(self._chat_held.get(chat_id, 0.0), now + seconds)
            self._chat_held = {chat: t for chat, t in self._chat_held.items() if t > now}
            self._chat_refused[chat_id] = now
            recent = now - self._recent
            self._chat_refused = {c: t for c, t in self._chat_refused.items() if t > recent}
            if len(self._chat_refused) < GLOBAL_AFTER_CHATS:
                return False
        self.pause_for(seconds)
        return True

    def chat_held_for(self, chat_id: int) -> float:
        """Seconds a 429 still holds `chat_id` (0: none)."""
        return max(0.0, self._chat_held.get(chat_id, 0.0) - self._monotonic())

    def held_chats(self) -> set[int]:
        """Chats a 429 still holds."""
        now = self._monotonic()
        return {chat for chat, until in self._chat_held.items() if until > now}

    def uses(self) -> list[CeilingUse]:
        """How this pacer stands with each of its ceilings."""
        now = self._monotonic()
        return [
            CeilingUse(w.ceiling, w.units, w.holding(now), w.in_window(now), w.waiting)
            for w in self._all_windows()
        ]

    def share(
        self,
        ceiling: Ceiling,
        held: int,
        *,
        until: float,
        rising: tuple[int, ...] = (),
        step: float = 0.0,
    ) -> None:
        """From now until `until` (monotonic) hold `held` messages a second of `ceiling`.

        With `rising`, the share grows to `held` in steps of `step` seconds from now:
        `rising[k]` from `k * step` seconds on.
        """
        for window in self._all_windows():
            if window.ceiling == ceiling:
                window.held = max(0, min(held, window.units))
                window.until = until
                window.rising = rising if step > 0 else ()
                window.rising_since = self._monotonic()
                window.rising_step = step
        self._wake_senders()

    def shrink(self, ceiling: Ceiling, held: int) -> None:
        """Hold at most `held` of `ceiling` from now on."""
        for window in self._all_windows():
            if window.ceiling == ceiling:
                window.held = max(0, min(held, window.held))
                window.rising = ()

    def leaving(
        self, ceiling: Ceiling, since: float, step: float, steps: int
    ) -> tuple[int, list[int]]:
        """When the sends counting against `ceiling` leave its window.

        Returns those in flight (and any leaving later than `steps` steps after `since`),
        and per step after `since` the counted ones that leave within its end.
        """
        leaving = [0] * steps
        staying = 0
        for window in self._all_windows():
            if window.ceiling != ceiling:
                continue
            window.in_window(self._monotonic())  # drops those already gone
            staying = window.in_flight
            for counted_at in window.counted:
                step_of = max(0, math.ceil((counted_at + 1.0 - since) / step) - 1)
                if step_of < steps:
                    leaving[step_of] += 1
                else:
                    staying += 1
        return staying, leaving

    def when_short(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever a send waits for a share this pacer does not hold."""
        self._on_short = callback

    def _windows(self, paid: bool) -> tuple[_Window, ...]:
        """The ceilings a send counts against: a paid one only the paid ceiling."""
        if self._paid is None:
            return (self._free,)
        return (self._paid,) if paid else (self._free, self._paid)

    def _all_windows(self) -> tuple[_Window, ...]:
        return (self._free,) if self._paid is None else (self._free, self._paid)

    def _next_start(self, windows: tuple[_Window, ...], waiting_since: float) -> float | None:
        now = self._monotonic()
        planned = max(waiting_since, self._paused_until)
        for window in windows:
            free_at = window.free_at(now)
            if free_at is None:
                short = window.held_at(now) == 0 and window.next_rise(now) is None
                if self._on_short is not None and short:
                    self._on_short()
                return None
            planned = max(planned, window.next_slot, free_at)
        return planned

    def _wake_senders(self) -> None:
        # Set-and-clear wakes only those waiting now.
        self._an_answer.set()
        self._an_answer.clear()

    async def _wait_for_chat(self, chat_id: int, burst: int) -> None:
        """Keep a chat's sends a gap apart on average, before queueing for the global turn.

        The chat's next moment is booked on the way in, so two sends to one chat that
        arrive together wait a gap apart too (beyond the burst); waiting here keeps a
        send that must wait for its chat from holding up sends to other chats.
        """
        now = self._monotonic()
        due = self._chat_next.get(chat_id, 0.0)
        self._chat_next[chat_id] = max(due, now) + self._per_chat_interval
        start = max(due - (burst - 1) * self._per_chat_interval, self._chat_held.get(chat_id, 0.0))
        if start > now:
            await asyncio.sleep(start - now)

    async def _take_turn(self, chat_id: int, reply: bool, paid: bool) -> StartedSend:
        """Wait in line for the next slot with room in the window, then start.

        A free send with paid broadcasts on queues for the free ceiling first and only
        then for the paid one, so while it waits for the free ceiling it does not hold
        up the paid sends behind it.
        """
        windows = self._windows(paid)
        for window in windows:
            window.waiting += 1
        try:
            async with AsyncExitStack() as turns:
                waiting_since: float | None = None
                planned = 0.0
                for taken in range(1, len(windows) + 1):
                    await turns.enter_async_context(windows[taken - 1].turn.taken(first=reply))
                    if waiting_since is None:
                        waiting_since = self._monotonic()
                    planned = await self._slot(windows[:taken], waiting_since)
                return self.start(chat_id, planned, paid=paid)
        finally:
            for window in windows:
                window.waiting -= 1

    async def _slot(self, windows: tuple[_Window, ...], waiting_since: float) -> float:
        """Wait until a send may start under every one of `windows`; return its planned start."""
        while True:
            planned = self._next_start(windows, waiting_since)
            now = self._monotonic()
            # A share that is still growing may make room before an answer comes.
            rises = [rise for w in windows if (rise := w.next_rise(now)) is not None]
            rise = min(rises) - now if rises else None
            if planned is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._an_answer.wait(), rise)
                continue
            delay = planned - now
            if delay <= 0:
                return planned
            # Sleep, then look again: a 429 may have paused everyone meanwhile.
            await asyncio.sleep(delay if rise is None else min(delay, rise))


def paced_for(settings: Settings, *, chat_gap: float = CHAT_GAP_SECONDS) -> SendPacer:
    """The pacer for the configured ceilings (the paid one only with paid broadcasts on)."""
    return SendPacer(
        settings.max_messages_per_second,
        paid_rate=PAID_BROADCAST_CEILING if settings.paid_broadcast else None,
        per_chat_interval=chat_gap,
    )


class _Turn:
    """A lock handed to waiters in the order they came, those marked `first` before the rest."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = 0

    @asynccontextmanager
    async def taken(self, *, first: bool) -> AsyncIterator[None]:
        """Hold the turn for the block."""
        if self._held or self._waiting:
            self._arrivals += 1
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (0 if first else 1, self._arrivals, waiter))
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._hand_on()  # it was handed the turn just as it was cancelled
                raise
        self._held = True
        try:
            yield
        finally:
            self._hand_on()

    def _hand_on(self) -> None:
        """Give the turn to the next waiter still waiting, or free it."""
        while self._waiting:
            _, _, waiter = heapq.heappop(self._waiting)
            if not waiter.done():
                waiter.set_result(None)
                return
        self._held = False
