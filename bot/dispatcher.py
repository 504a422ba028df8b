"""The dispatcher: one repeating tick turns due rows into paced Telegram messages.

There is no job per member. Each tick (PTB's JobQueue, every `NETCOACH_TICK_SECONDS`)
wakes one background run that schedules due prompts, follow-ups and check-ins, leases a
batch of deliveries, sends them under the pacer and records the outcomes, until nothing is
due.
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.domain.followups import schedule_due_followups
from bot.domain.members import Identity
from bot.domain.prompts import (
    Outcome,
    Outgoing,
    Prompt,
    SendOutcome,
    claim_deliveries,
    next_prompt_now,
    record_outcomes,
    schedule_due_prompts,
)
from bot.domain.runtime import Runtime
from bot.pacing import SendPacer
from bot.screens.outgoing import outgoing_screen
from bot.telegram_out import send_screen

__all__ = ["Dispatcher"]

log = logging.getLogger("netcoach.dispatcher")

# Tries within one lease before a delivery goes back to the queue for later.
_TRIES_PER_LEASE = 4
_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0)


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Dispatcher:
    """Sends what is due, paced to Telegram's limits; one run at a time per process."""

    def __init__(
        self, runtime: Runtime, bot: ExtBot[Any], *, pacer: SendPacer | None = None
    ) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.bot = bot
        self.pacer = pacer or SendPacer(settings.max_messages_per_second)
        # About one second of sends per batch: few rows in flight, little lost to a crash.
        self.batch_size = max(1, math.ceil(self.pacer.rate_per_second))
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self._task: asyncio.Task[None] | None = None
        self._wanted = False
        self._stopping = False

    async def tick(self, _context: object = None) -> None:
        """The JobQueue callback: make sure a run is going."""
        self.kick()

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
                while not self._stopping and await self.dispatch_once():
                    pass
            except Exception:
                # The database or network may be down; the next tick tries again.
                log.exception("dispatch run failed; retrying at the next tick")
                return

    async def idle(self) -> None:
        """Wait until the current run (if any) has finished."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def stop(self, grace: float = 10.0) -> None:
        """Finish the batch in flight (up to `grace` seconds), then stop."""
        self._stopping = True
        if self._task is None or self._task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            # Whatever was in flight is retried by the next process once its lease ends.
            self._task.cancel()

    async def dispatch_once(self) -> bool:
        """Schedule, lease, send and record one batch; False when nothing was due."""
        scheduled = await schedule_due_prompts(self.runtime)
        scheduled += await schedule_due_followups(self.runtime)
        prompts = await claim_deliveries(self.runtime, self.batch_size, self.lease)
        if not prompts:
            return scheduled > 0
        outcomes = await asyncio.gather(*(self.send_prompt(prompt) for prompt in prompts))
        await record_outcomes(self.runtime, outcomes)
        return True

    async def next_prompt_now(self, who: Identity) -> Prompt | None:
        """A prompt for `/next`, leased like any delivery, for the caller to send at once."""
        return await next_prompt_now(self.runtime, who, self.lease)

    async def send_prompt(self, prompt: Outgoing) -> SendOutcome:
        """Send one prompt, follow-up or check-in under the pacer, handling Telegram's answers."""
        screen = outgoing_screen(prompt)
        for attempt in range(_TRIES_PER_LEASE):
            await self.pacer.acquire(prompt.chat_id)
            try:
                message = await send_screen(self.bot, prompt.chat_id, screen, retry_on_flood=False)
            except RetryAfter as flood:
                # Telegram wants everyone to wait, not just this chat.
                self.pacer.pause_for(_seconds(flood.retry_after))
                continue
            except Forbidden:
                return SendOutcome(prompt.delivery_id, Outcome.BLOCKED)
            except BadRequest as refused:
                if "chat not found" in refused.message.lower():
                    return SendOutcome(prompt.delivery_id, Outcome.BLOCKED)
                log.error("Telegram refused delivery %s: %s", prompt.delivery_id, refused.message)
                return SendOutcome(prompt.delivery_id, Outcome.FAILED)
            except NetworkError as problem:  # timeouts and 5xx
                log.warning(
                    "delivery %s: %s (try %d)",
                    prompt.delivery_id,
                    type(problem).__name__,
                    attempt + 1,
                )
                await asyncio.sleep(_BACKOFF_SECONDS[attempt])
                continue
            except TelegramError as problem:
                log.error("delivery %s failed: %s", prompt.delivery_id, type(problem).__name__)
                return SendOutcome(prompt.delivery_id, Outcome.FAILED)
            return SendOutcome(prompt.delivery_id, Outcome.SENT, message.message_id)
        return SendOutcome(prompt.delivery_id, Outcome.RETRY, retry_in=timedelta(minutes=1))
