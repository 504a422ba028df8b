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
"""

from __future__ import annotations

import asyncio
import heapq
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

__all__ = [
    "CHAT_GAP_SECONDS",
    "GLOBAL_AFTER_CHATS",
    "REPLY_BURST",
    "ROUND_TRIP_SAMPLES",
    "WINDOW_GUARD_SECONDS",
    "SendPacer",
    "StartedSend",
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


@dataclass(frozen=True, slots=True)
class StartedSend:
    """A send the pacer let go, until its answer comes back."""

    chat_id: int
    started: float


class SendPacer:
    """Lets sends go so the bot never runs into Telegram's limits.

    Sends go one after another, evenly spaced at `rate_per_second` (no bursts that a
    sliding window would punish); no more than `rate_per_second` of them can have reached
    Telegram within any second (counted as the module docstring explains); a chat gets
    at most one message per `per_chat_interval` on average (a steady pace; a caller may
    allow a short burst to a chat that was quiet); and a 429 holds the chat it came for
    for the `retry_after` Telegram asked for, or everyone when it is not one chat's
    (see `rate_limited`).

    Use `sending` around each request that sends a message; `next_start`, `start` and
    `answered` are its steps, for callers (and tests) that drive the clock themselves.
    """

    def __init__(
        self,
        rate_per_second: float,
        *,
        per_chat_interval: float = CHAT_GAP_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        self._rate = rate_per_second
        self._interval = 1.0 / rate_per_second
        self._per_chat_interval = per_chat_interval
        self._monotonic = monotonic
        self._capacity = max(1, math.floor(rate_per_second))
        self._next_slot = 0.0
        self._paused_until = 0.0
        # Per chat, when its next send is due at a steady pace (a send may go up to its
        # burst's tolerance before that), and until when a 429 holds it.
        self._chat_next: dict[int, float] = {}
        self._chat_held: dict[int, float] = {}
        # Per chat, when its latest 429 came; kept while it is recent.
        self._chat_refused: dict[int, float] = {}
        self._recent = 1.0 + GLOBAL_AFTER_CHATS * self._interval
        # When each answered send was counted, earliest first; dropped a second later.
        self._counted: list[float] = []
        self._in_flight = 0
        self._round_trips: deque[float] = deque(maxlen=ROUND_TRIP_SAMPLES)
        # Whoever is next holds the turn while it waits, so sends go in the order they came
        # (replies before scheduled sends that are still waiting).
        self._turn = _Turn()
        self._an_answer = asyncio.Event()

    @property
    def rate_per_second(self) -> float:
        """The configured ceiling."""
        return self._rate

    @asynccontextmanager
    async def sending(
        self, chat_id: int, *, burst: int = 1, reply: bool = False
    ) -> AsyncIterator[None]:
        """Wait until a message to `chat_id` may go; the block sends it and gets the answer.

        `burst` lets that many go at once to a chat that was quiet (replies to a member
        clicking through a flow); the chat's average pace stays one per gap. A `reply`
        takes its turn before scheduled sends still waiting for theirs, so a member's
        answer does not queue behind a dispatch of thousands.
        """
        await self._wait_for_chat(chat_id, burst)
        send = await self._take_turn(chat_id, reply)
        try:
            yield
        finally:
            self.answered(send)

    def next_start(self, waiting_since: float) -> float | None:
        """When the next send may start, or None while that depends on a send in flight.

        `waiting_since` is when it began to wait: a pacer that was idle does not owe it
        the slots it missed, so sends after a quiet spell are spaced evenly too.
        """
        now = self._monotonic()
        counted = self._counted
        while counted and counted[0] + 1.0 <= now:
            heapq.heappop(counted)
        # How many of the sends that may still be in the window have to leave it first.
        leaving = len(counted) + self._in_flight - self._capacity + 1
        if leaving > len(counted):
            return None
        free_at = -math.inf
        if leaving > 0:
            free_at = (counted[0] if leaving == 1 else heapq.nsmallest(leaving, counted)[-1]) + 1.0
        return max(waiting_since, self._next_slot, self._paused_until, free_at)

    def start(self, chat_id: int, planned: float) -> StartedSend:
        """Let a send go now; `planned` is the `next_start` it waited for.

        The next slot follows the planned one, not the wake-up: a sender woken a little
        late does not push everyone after it (the window still holds them to the ceiling).
        """
        now = self._monotonic()
        self._next_slot = max(self._next_slot, planned + self._interval)
        self._in_flight += 1
        chat_next = now + self._per_chat_interval
        if chat_next > self._chat_next.get(chat_id, 0.0):
            self._chat_next[chat_id] = chat_next
        if len(self._chat_next) > 10_000:
            self._chat_next = {chat: t for chat, t in self._chat_next.items() if t > now}
        return StartedSend(chat_id, now)

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
        self._in_flight -= 1
        heapq.heappush(self._counted, counted_at)
        # Wake a sender waiting for this answer; set-and-clear wakes only those waiting now.
        self._an_answer.set()
        self._an_answer.clear()

    def pause_for(self, seconds: float) -> None:
        """Telegram's limit for the whole bot was hit: nobody sends for `seconds`."""
        until = self._monotonic() + seconds
        self._paused_until = max(self._paused_until, until)
        self._next_slot = max(self._next_slot, until)

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

    async def _take_turn(self, chat_id: int, reply: bool) -> StartedSend:
        """Wait in line for the next slot with room in the window, then start."""
        async with self._turn.taken(first=reply):
            waiting_since = self._monotonic()
            while True:
                planned = self.next_start(waiting_since)
                if planned is None:
                    await self._an_answer.wait()
                    continue
                delay = planned - self._monotonic()
                if delay <= 0:
                    return self.start(chat_id, planned)
                # Sleep, then look again: a 429 may have paused everyone meanwhile.
                await asyncio.sleep(delay)


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
