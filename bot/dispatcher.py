"""The dispatcher: one repeating tick turns due rows into paced Telegram messages.

There is no job per member. Each tick (every `NETCOACH_TICK_SECONDS`, counted on the
event loop's monotonic clock, so a wall clock stepped back or forward never stops it)
wakes one background run that schedules due prompts, follow-ups and check-ins, leases
deliveries, sends them under the pacer and records the outcomes as they come, until
nothing is due. A member's deliveries leased together go as one digest (one message,
a few when Telegram's limits ask for it), and their outcomes are recorded together.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import httpx
from telegram import Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.domain.digest import Digest
from bot.domain.followups import schedule_due_followups
from bot.domain.members import Identity
from bot.domain.prompts import (
    Outcome,
    Outgoing,
    Prompt,
    RowFault,
    Sendable,
    SendOutcome,
    claim_deliveries,
    next_prompt_now,
    record_outcomes,
    schedule_due_prompts,
)
from bot.domain.runtime import Runtime
from bot.domain.scheduling import ScheduleFault
from bot.logs import without_quotes
from bot.metrics import DIGEST, Metrics
from bot.pacing import SendPacer, paced_for
from bot.screens import Screen
from bot.screens.digest import DigestPart, digest_layout
from bot.screens.outgoing import lead_in_screens, outgoing_screen
from bot.telegram_out import send_screen
from storage.models import DeliveryKind

__all__ = ["MAX_IN_FLIGHT", "PAID_KINDS", "RECORD_EVERY", "Dispatcher", "may_have_arrived"]

log = logging.getLogger("netcoach.dispatcher")

# How often finished sends are recorded while a dispatch runs.
RECORD_EVERY = 0.25
# What goes as a paid broadcast when NETCOACH_PAID_BROADCAST is on: what goes to everyone
# at once. A member's follow-ups, check-ins and /next prompts stay free.
PAID_KINDS = frozenset({DeliveryKind.PROMPT, DeliveryKind.BROADCAST})
# Upper bound of sends in flight, whatever the ceiling (keeps the HTTP pool healthy).
MAX_IN_FLIGHT = 200
# Tries within one lease before a delivery goes back to the queue for later (while
# Telegram is away, one: see `Dispatcher._telegram_away`).
_TRIES_PER_LEASE = 4
_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0)
# A 429 asking to wait longer than this sends the delivery back to the queue until then,
# instead of holding a place among the sends in flight (and outliving its lease).
_WAIT_WITHIN_LEASE = 5.0


def _outcomes(done: set[asyncio.Task[list[SendOutcome]]]) -> list[SendOutcome]:
    """Outcomes of finished sends; a send cancelled on the way is retried when its lease ends."""
    return [outcome for task in done if not task.cancelled() for outcome in task.result()]


@dataclass(frozen=True, slots=True)
class _Target:
    """What one message goes out as: a delivery, or a part of a digest (several rows).

    `delivery_id` names it in logs and outcomes (a digest part: its first row's).
    """

    delivery_id: int
    chat_id: int
    kind: str
    slot_at: datetime
    # One of its rows may already have reached the member: one more try at most.
    maybe_sent: bool
    # It carries what goes to every member at once (`PAID_KINDS`).
    to_everyone: bool


def _target(item: Outgoing) -> _Target:
    return _Target(
        item.delivery_id,
        item.chat_id,
        item.kind.value,
        item.slot_at,
        item.maybe_sent,
        item.kind in PAID_KINDS,
    )


def _part_target(part: DigestPart) -> _Target:
    rows = (*part.items, *part.reviews)
    return _Target(
        rows[0].delivery_id,
        rows[0].chat_id,
        DIGEST,
        min(row.slot_at for row in rows),
        any(row.maybe_sent for row in rows),
        any(row.kind in PAID_KINDS for row in rows),
    )


def _went(outcome: SendOutcome) -> bool:
    """Telegram took the message, or may have."""
    return outcome.outcome in (Outcome.SENT, Outcome.UNCONFIRMED) or outcome.maybe_sent


def may_have_arrived(problem: NetworkError) -> bool:
    """Whether Telegram may have taken a message although no answer said so.

    Not when Telegram answered with an error status (5xx) or the connection was never
    made (refused, timed out connecting, no free connection): then it was not sent. After
    a read timeout or a connection dropped mid-request it may well have been.
    """
    cause = problem.__cause__
    if cause is None or isinstance(cause, TelegramError):
        return False
    return not isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def _refused(prompt: _Target, refused: Forbidden | BadRequest) -> SendOutcome:
    """Telegram refused the send: the member blocked the bot, or the request was bad."""
    if isinstance(refused, Forbidden) or "chat not found" in refused.message.lower():
        return SendOutcome(prompt.delivery_id, Outcome.BLOCKED)
    # Telegram quotes what it could not parse, which may be a member's words.
    log.error(
        "Telegram refused delivery %s: %s", prompt.delivery_id, without_quotes(refused.message)
    )
    return SendOutcome(prompt.delivery_id, Outcome.FAILED, reason="send: BadRequest")


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Dispatcher:
    """Sends what is due, paced to Telegram's limits; one run at a time per process."""

    def __init__(
        self,
        runtime: Runtime,
        bot: ExtBot[Any],
        *,
        pacer: SendPacer | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.bot = bot
        self.pacer = pacer or paced_for(settings)
        self.metrics = metrics or Metrics()
        # When the JobQueue last ticked (monotonic), for /healthz; starting counts as one.
        self.last_tick = time.monotonic()
        # About two seconds of sends in flight: enough that the pacer never starves while
        # the database works, few enough that a crash repeats little (and the HTTP pool is
        # never exhausted).
        self.max_in_flight = min(MAX_IN_FLIGHT, max(2, math.ceil(2 * self.pacer.rate_per_second)))
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._wanted = False
        self._stopping = False
        # A send found Telegram unreachable (5xx, no connection) and none went since: the
        # first send to find so keeps its tries (a blip passes in a second), every other
        # goes back to the queue after one, to wait out the outage with its back-off.
        self._telegram_away = False

    async def tick(self, _context: object = None) -> None:
        """One tick: make sure a run is going."""
        self.last_tick = time.monotonic()
        self.metrics.ticks.inc()
        self.kick()

    def start_ticking(self, interval: float, *, first: float = 0.5) -> None:
        """Tick after `first` seconds, then every `interval` seconds, until stopped.

        Not a scheduler job: APScheduler plans by the wall clock, and a wall clock stepped
        back an hour kept its next run an hour away. `asyncio.sleep` counts monotonic time.
        """
        self.stop_ticking()
        self._ticker = asyncio.create_task(self._tick_every(interval, first), name="netcoach-tick")

    def stop_ticking(self) -> None:
        """No more ticks (a run going on finishes)."""
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    async def _tick_every(self, interval: float, first: float) -> None:
        await asyncio.sleep(first)
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("tick failed; ticking on")
            await asyncio.sleep(interval)

    def kick(self) -> None:
        """Start a run now, or have the current run look again when it is done."""
        if self._stopping:
            return
        self._wanted = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="netcoach-dispatch")

    async def _run(self) -> None:
        while self._wanted and not self._stopping:
            self._wanted = False
            try:
                with self.metrics.dispatch_runs.time():
                    await self._send_until_idle()
            except Exception as problem:
                # The database or network may be down; the next tick tries again.
                self.metrics.count_database_error("dispatch", problem)
                log.exception("dispatch run failed; retrying at the next tick")
                return

    async def idle(self) -> None:
        """Wait until the current run (if any) has finished."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def stop(self, grace: float = 10.0) -> None:
        """Finish the batch in flight (up to `grace` seconds), then stop."""
        self._stopping = True
        self.stop_ticking()
        if self._task is None or self._task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            # Whatever was in flight is retried by the next process once its lease ends.
            self._task.cancel()

    async def _schedule(self) -> int:
        """Turn due slots, follow-ups and check-ins into pending deliveries.

        A few at a time (about what is in flight): scheduling 500 members takes ~2 s, in
        which the pacer would run dry and a SQLite write lock would keep members waiting.
        """
        limit, count = self.max_in_flight, self._on_schedule_fault
        prompts = await schedule_due_prompts(self.runtime, limit, count)
        return prompts + await schedule_due_followups(self.runtime, limit, count)

    def _on_schedule_fault(self, fault: ScheduleFault) -> None:
        """A member, commitment or contact could not be scheduled (it was logged): count it."""
        self.metrics.count_delivery_fault("schedule", fault.problem)

    async def _send_until_idle(self) -> None:
        """Keep about two seconds of sends in flight, leasing and recording as they go.

        The pacer always has the next sends queued, so it never waits for the database;
        outcomes are recorded every `RECORD_EVERY` seconds, so a crash can repeat only
        the sends in flight (at most `max_in_flight`).
        """
        in_flight: set[asyncio.Task[list[SendOutcome]]] = set()
        try:
            while not self._stopping:
                scheduled = await self._schedule()
                room = self.max_in_flight - len(in_flight)
                items = (
                    await claim_deliveries(
                        self.runtime,
                        room,
                        self.lease,
                        self._on_fault,
                        # Their rows wait in the queue, not in flight where a lease runs out.
                        skip_chats=self.pacer.held_chats(),
                    )
                    if room
                    else []
                )
                in_flight.update(asyncio.create_task(self._send_isolated(i)) for i in items)
                if not in_flight:
                    if scheduled:
                        continue
                    return
                done, in_flight = await asyncio.wait(in_flight, timeout=RECORD_EVERY)
                await record_outcomes(self.runtime, _outcomes(done))
        finally:
            if in_flight:
                # Stopping: let the sends in flight finish and keep their outcomes.
                done, _ = await asyncio.wait(in_flight)
                await record_outcomes(self.runtime, _outcomes(done))

    async def next_prompt_now(self, who: Identity) -> Prompt | None:
        """A prompt for `/next`, leased like any delivery, for the caller to send at once."""
        return await next_prompt_now(self.runtime, who, self.lease)

    async def _send_lead_in(self, item: Outgoing) -> bool:
        """Send what goes right before a delivery (the weekly review, when separate).

        One try, best effort: the delivery itself decides what a failure means. Returns
        whether a lead-in went or may have (a timeout): that is recorded with the
        delivery, and a later lease leaves it out, so the member gets it once.
        """
        went = False
        for screen in lead_in_screens(item):
            try:
                await self._send(_target(item), screen)
            except RetryAfter as flood:
                self.pacer.rate_limited(item.chat_id, _seconds(flood.retry_after))
            except TelegramError as problem:
                went = went or (isinstance(problem, NetworkError) and may_have_arrived(problem))
                log.warning(
                    "delivery %s: lead-in not sent: %s", item.delivery_id, type(problem).__name__
                )
            else:
                went = True
        return went

    def _on_fault(self, fault: RowFault) -> SendOutcome:
        """One row failed for a reason of its own: count it, log it (no text), go on."""
        self.metrics.count_delivery_fault(fault.stage, fault.problem)
        log.warning(
            "delivery %s failed for now (%s); it is tried again later",
            fault.delivery_id,
            fault.reason,
        )
        return SendOutcome(fault.delivery_id, Outcome.FAULT, reason=fault.reason)

    async def _send_isolated(self, item: Sendable) -> list[SendOutcome]:
        """`send_prompt` or `send_digest`, where anything going wrong is these rows' fault."""
        try:
            if isinstance(item, Digest):
                return await self.send_digest(item)
            return [await self.send_prompt(item)]
        except Exception as problem:
            rows = item.items if isinstance(item, Digest) else (item,)
            return [self._on_fault(RowFault(row.delivery_id, "send", problem)) for row in rows]

    async def send_digest(self, digest: Digest) -> list[SendOutcome]:
        """Send a member's digest: its messages in order, each row's outcome its message's.

        An item that cannot be drawn is this row's fault, and the rest go without it; one
        left goes as it would alone. A message Telegram refuses goes again item by item,
        so one bad item holds up no other. Once Telegram cannot take a message (it is
        away, or asks the chat to wait) or the member blocked the bot, the later ones wait
        with it. What did not fit goes back to the queue, due now: the next digest.
        """
        try:
            layout = digest_layout(digest)
        except Exception as problem:
            return [
                self._on_fault(RowFault(i.delivery_id, "render", problem)) for i in digest.items
            ]
        outcomes = [
            self._on_fault(RowFault(item.delivery_id, "render", problem))
            for item, problem in layout.faults
        ]
        outcomes += [
            SendOutcome(
                item.delivery_id, Outcome.RETRY, reason="digest: next", retry_in=timedelta()
            )
            for item in layout.later
        ]
        reviewed: set[int] = set()
        stop: SendOutcome | None = None
        for part in layout.parts:
            if stop is not None:
                outcomes += [replace(stop, delivery_id=item.delivery_id) for item in part.items]
                continue
            outcome = await self._send_with_tries(_part_target(part), part.screen)
            if outcome.outcome is Outcome.FAILED and len(part.items) > 1:
                outcomes += [await self.send_prompt(item) for item in part.items]
                continue
            if _went(outcome):
                reviewed.update(prompt.delivery_id for prompt in part.reviews)
            outcomes += [replace(outcome, delivery_id=item.delivery_id) for item in part.items]
            if outcome.outcome in (Outcome.RETRY, Outcome.BLOCKED):
                # Not sent at all, those after it: none of them may have reached the member.
                stop = replace(outcome, message_id=None, maybe_sent=False)
        for item in layout.alone:
            alone = replace(stop, delivery_id=item.delivery_id) if stop else None
            outcomes.append(alone or await self.send_prompt(item))
        # A review that went (or may have) is not shown again with its card's next try.
        return [
            replace(outcome, lead_in_sent=True) if outcome.delivery_id in reviewed else outcome
            for outcome in outcomes
        ]

    async def send_prompt(self, prompt: Outgoing) -> SendOutcome:
        """Send one prompt, follow-up or check-in under the pacer, handling Telegram's answers.

        A send that may have reached Telegram without an answer saying so (a read timeout,
        a dropped connection) is tried once more at most, in this lease or a later one:
        a member gets a delivery twice at most. Sends Telegram did not take (5xx, no
        connection) are tried again for as long as it takes.
        """
        try:
            screen = outgoing_screen(prompt)
        except Exception as problem:
            return self._on_fault(RowFault(prompt.delivery_id, "render", problem))
        lead_in_sent = await self._send_lead_in(prompt)
        outcome = await self._send_with_tries(_target(prompt), screen)
        return replace(outcome, lead_in_sent=True) if lead_in_sent else outcome

    async def _send_with_tries(self, prompt: _Target, screen: Screen) -> SendOutcome:
        """Send one message, trying again within the lease where that may help."""
        maybe_sent = prompt.maybe_sent
        probing = False
        reason = "send: Telegram unreachable"
        for attempt in range(_TRIES_PER_LEASE):
            try:
                message = await self._send(prompt, screen)
            except RetryAfter as flood:
                # This chat waits (everyone, if it is the bot's limit: see `rate_limited`).
                wait = _seconds(flood.retry_after)
                self.pacer.rate_limited(prompt.chat_id, wait)
                if wait > _WAIT_WITHIN_LEASE:
                    return SendOutcome(
                        prompt.delivery_id,
                        Outcome.RETRY,
                        reason="send: RetryAfter",
                        maybe_sent=maybe_sent,
                        retry_in=timedelta(seconds=wait),
                    )
                continue
            except (Forbidden, BadRequest) as refused:
                return _refused(prompt, refused)
            except NetworkError as problem:  # timeouts, dropped connections, 5xx
                reason = f"send: {type(problem).__name__}"
                if may_have_arrived(problem):
                    if maybe_sent:
                        log.warning(
                            "delivery %s: %s again after Telegram may have had it; "
                            "not sent a third time",
                            prompt.delivery_id,
                            type(problem).__name__,
                        )
                        return SendOutcome(
                            prompt.delivery_id,
                            Outcome.UNCONFIRMED,
                            reason=f"{reason} twice",
                            maybe_sent=True,
                        )
                    maybe_sent = True
                elif self._telegram_away and not probing:
                    # Found away before this send: one try a lease.
                    log.warning("delivery %s: %s; later", prompt.delivery_id, reason)
                    break
                else:
                    self._telegram_away = probing = True
                log.warning("delivery %s: %s (try %d)", prompt.delivery_id, reason, attempt + 1)
                await asyncio.sleep(_BACKOFF_SECONDS[attempt])
                continue
            except TelegramError as problem:
                log.error("delivery %s failed: %s", prompt.delivery_id, type(problem).__name__)
                return SendOutcome(
                    prompt.delivery_id, Outcome.FAILED, reason=f"send: {type(problem).__name__}"
                )
            lag = self.runtime.clock.now() - prompt.slot_at
            self.metrics.dispatch_lag.observe(max(0.0, lag.total_seconds()))
            return SendOutcome(prompt.delivery_id, Outcome.SENT, message.message_id)
        return SendOutcome(prompt.delivery_id, Outcome.RETRY, reason=reason, maybe_sent=maybe_sent)

    async def _send(self, item: _Target, screen: Screen) -> Message:
        """One HTTP send under the pacer, counted by its delivery's kind and its outcome.

        With paid broadcasts on, weekly prompts and broadcasts (with what goes right
        before them, and a digest that carries one) go as paid ones; everything else
        stays under the free ceiling.
        """
        paid = self.pacer.paid_broadcasts and item.to_everyone
        try:
            async with self.pacer.sending(item.chat_id, paid=paid):
                message = await send_screen(
                    self.bot, item.chat_id, screen, paced_by_caller=True, paid=paid
                )
        except Exception as problem:
            self.metrics.count_send(item.kind, problem)
            raise
        self.metrics.count_send(item.kind, None)
        self._telegram_away = False
        return message
