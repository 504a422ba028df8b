"""One rate limiter for every request the bot makes, built on the dispatcher's pacer.

Replies to members and scheduled sends share Telegram's global ceiling, so both go
through the same `SendPacer`: a reply takes the next global slot and keeps the chat's
gap (after a short burst, so a member clicking through a flow does not feel it), and a
429 holds the chat it came for (everyone, when it is the bot's limit) and is retried.
The dispatcher paces its own sends (with the per-chat gap) and passes `PACED` so they
are neither paced twice nor retried here; it counts their outcomes itself, and this
limiter counts every attempt of the rest as a reply.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.metrics import REPLY, Metrics
from bot.pacing import REPLY_BURST, SendPacer

__all__ = ["PACED", "PacedRateLimiter"]

log = logging.getLogger("netcoach.rate_limit")

# rate_limit_args for a request whose slot the caller already took.
PACED = "paced"

_JSON = bool | dict[str, Any] | list[dict[str, Any]]


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PacedRateLimiter(BaseRateLimiter[str]):
    """Paces message-sending requests through a `SendPacer` and retries after 429s."""

    def __init__(
        self, pacer: SendPacer, *, max_retries: int = 3, metrics: Metrics | None = None
    ) -> None:
        self.pacer = pacer
        self.max_retries = max_retries
        self.metrics = metrics

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, _JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> _JSON:
        """Run the request in a free slot; after a 429, wait for everyone and try again."""
        if rate_limit_args == PACED:
            return await callback(*args, **kwargs)
        # A chat action ("sending a photo…") is not a message: it takes no slot.
        sends_message = endpoint.startswith(("send", "copy", "forward")) and (
            endpoint != "sendChatAction"
        )
        chat_id = data.get("chat_id")
        chat = chat_id if isinstance(chat_id, int) else None
        for attempt in range(self.max_retries + 1):
            # The slot lasts until the answer: the pacer learns from it when Telegram counted it.
            slot: AbstractAsyncContextManager[None] = (
                self.pacer.sending(int(chat_id), burst=REPLY_BURST, reply=True)
                if sends_message and chat_id is not None
                else nullcontext()
            )
            try:
                async with slot:
                    answer = await callback(*args, **kwargs)
            except RetryAfter as flood:
                self._count(sends_message, flood)
                if attempt == self.max_retries:
                    raise
                wait = _seconds(flood.retry_after)
                everyone = self.pacer.rate_limited(chat, wait)
                log.info(
                    "429 on %s: %s waits %.1f s",
                    endpoint,
                    "everyone" if everyone else "the chat",
                    wait,
                )
                if not sends_message:
                    await asyncio.sleep(wait)
                continue
            except Exception as problem:
                self._count(sends_message, problem)
                raise
            self._count(sends_message, None)
            return answer
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _count(self, sends_message: bool, problem: BaseException | None) -> None:
        if sends_message and self.metrics is not None:
            self.metrics.count_send(REPLY, problem)
