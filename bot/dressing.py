"""Calls that only dress the bot (its command menu, descriptions): never in the members' way.

Telegram may answer such a call with an error (a Bot API server that does not know the
method, a bad moment, a refused text), and the members must get their answers anyway. So
these calls are made once the bot is serving, each in a background task of its own; a
failure is logged once and the call is tried again after a minute, then after two, four,
... up to once an hour, until it succeeds or the bot stops. A call to add is one
`Dressing` in `handlers.registry.DRESSING`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from telegram.error import RetryAfter, TelegramError

from handlers.context import NetcoachApplication

__all__ = ["FIRST_RETRY_SECONDS", "LONGEST_RETRY_SECONDS", "Dresser", "Dressing"]

log = logging.getLogger("netcoach.dressing")

FIRST_RETRY_SECONDS = 60.0
LONGEST_RETRY_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Dressing:
    """One call that only dresses the bot; `what` names it in the logs ("the command menu")."""

    what: str
    call: Callable[[NetcoachApplication], Awaitable[object]]


class Dresser:
    """Makes each dressing call in the background, retrying with back-off until it succeeds."""

    def __init__(
        self,
        application: NetcoachApplication,
        dressings: Sequence[Dressing],
        *,
        first_retry: float = FIRST_RETRY_SECONDS,
        longest_retry: float = LONGEST_RETRY_SECONDS,
    ) -> None:
        self._application = application
        self._dressings = tuple(dressings)
        self._first_retry = first_retry
        self._longest_retry = longest_retry
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start one background task per call (the bot is serving by now)."""
        self._tasks = [
            asyncio.create_task(self._dress(dressing), name=f"dressing: {dressing.what}")
            for dressing in self._dressings
        ]

    async def stop(self) -> None:
        """Stop trying: the bot is going down."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _dress(self, dressing: Dressing) -> None:
        wait = self._first_retry
        failures = 0
        while True:
            try:
                await dressing.call(self._application)
            except Exception as problem:
                failures += 1
                pause = max(wait, _asked_pause(problem))
                if failures == 1:
                    _log_first_failure(dressing, problem, pause)
                else:
                    log.debug("%s: attempt %d failed (%s)", dressing.what, failures, _why(problem))
                await asyncio.sleep(pause)
                wait = min(wait * 2, self._longest_retry)
            else:
                if failures:
                    log.info("%s is set (after %d failed attempt(s))", dressing.what, failures)
                return


def _asked_pause(problem: Exception) -> float:
    """What a 429 asks us to wait, in seconds (0 for any other error)."""
    if isinstance(problem, RetryAfter):
        asked = problem.retry_after
        return asked.total_seconds() if isinstance(asked, timedelta) else float(asked)
    return 0.0


def _why(problem: Exception) -> str:
    # A Telegram error's message is the Bot API's description; never a token or a text.
    if isinstance(problem, TelegramError):
        return f"{type(problem).__name__}: {problem.message}"
    return type(problem).__name__


def _log_first_failure(dressing: Dressing, problem: Exception, pause: float) -> None:
    message = (
        "could not set %s (%s); the bot serves without it and tries again in the "
        "background (next in %.0f s, then less often, at least hourly); "
        "further failures are not logged"
    )
    if isinstance(problem, TelegramError):
        log.warning(message, dressing.what, _why(problem), pause)
    else:
        # Not Telegram's answer but our own failure: the traceback is worth having, once.
        log.exception(message, dressing.what, _why(problem), pause)
