"""Whether this process is healthy, from state the bot keeps fresh itself.

GET /healthz never touches the database (anyone who can reach the port could otherwise
load it): a job pings the database every `REFRESH_SECONDS` (and counts members by status
every `MEMBER_COUNT_SECONDS`, for the metrics), the dispatcher notes each tick, and the
runner says when the process is stopping. A request only compares those notes with the
clock. The HTTP side is `bot.health_server` (aiohttp is loaded only when it serves).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.dispatcher import Dispatcher
from bot.domain.health import database_answers, members_by_status
from bot.domain.runtime import Runtime
from bot.metrics import Metrics

__all__ = [
    "MEMBER_COUNT_SECONDS",
    "MIN_TICK_GRACE_SECONDS",
    "PING_TIMEOUT_SECONDS",
    "REFRESH_SECONDS",
    "HealthMonitor",
    "HealthStatus",
    "Verdict",
]

log = logging.getLogger("netcoach.health")

REFRESH_SECONDS = 5.0
PING_TIMEOUT_SECONDS = 2.0
# Counting members reads the whole users table: often enough for a dashboard, no more.
MEMBER_COUNT_SECONDS = 60.0
MEMBER_COUNT_TIMEOUT_SECONDS = 10.0
# A tick is late after three missed ones, but never sooner than this (short test ticks).
MIN_TICK_GRACE_SECONDS = 60.0


class HealthStatus(enum.StrEnum):
    """What /healthz says: ok, or why not."""

    OK = "ok"
    STARTING = "starting"
    STOPPING = "stopping"
    DATABASE_UNAVAILABLE = "database unavailable"
    TICK_LATE = "dispatch tick late"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to one health request."""

    status: HealthStatus
    last_tick_seconds_ago: float
    database_checked_seconds_ago: float | None

    @property
    def healthy(self) -> bool:
        """Whether a load balancer should send this process work."""
        return self.status is HealthStatus.OK

    def as_json(self) -> dict[str, object]:
        """The response body: the status first, then the ages it was judged by."""
        return {
            "status": self.status.value,
            "last_tick_seconds_ago": round(self.last_tick_seconds_ago, 3),
            "database_checked_seconds_ago": (
                None
                if self.database_checked_seconds_ago is None
                else round(self.database_checked_seconds_ago, 3)
            ),
        }


class HealthMonitor:
    """Keeps what /healthz answers from: the database's last answer and the last tick."""

    def __init__(
        self,
        runtime: Runtime,
        dispatcher: Dispatcher,
        metrics: Metrics,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runtime = runtime
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._monotonic = monotonic
        self.tick_late_after = max(3 * runtime.settings.tick_seconds, MIN_TICK_GRACE_SECONDS)
        self._database_ok: bool | None = None
        self._checked_at: float | None = None
        self._counted_at: float | None = None
        self._stopping = False

    def mark_stopping(self) -> None:
        """From now on /healthz answers 503, so balancers stop sending work here."""
        self._stopping = True

    async def refresh(self, _context: object = None) -> None:
        """Ping the database (and count members when due); a JobQueue callback too."""
        try:
            async with asyncio.timeout(PING_TIMEOUT_SECONDS):
                await database_answers(self._runtime)
        except Exception as problem:
            self._metrics.count_database_error("health", problem)
            if self._database_ok is not False:
                # Once per outage, not every few seconds; the type only, never a message.
                log.warning("the database does not answer: %s", type(problem).__name__)
            self._note_database(ok=False)
            return
        if self._database_ok is False:
            log.info("the database answers again")
        self._note_database(ok=True)
        if self._counted_at is None or self._monotonic() - self._counted_at >= MEMBER_COUNT_SECONDS:
            await self._count_members()

    def verdict(self) -> Verdict:
        """The health of the process now, from the notes alone (never a query)."""
        now = self._monotonic()
        tick_age = now - self._dispatcher.last_tick
        checked_age = None if self._checked_at is None else now - self._checked_at
        if self._stopping:
            status = HealthStatus.STOPPING
        elif self._database_ok is None:
            status = HealthStatus.STARTING
        elif not self._database_ok:
            status = HealthStatus.DATABASE_UNAVAILABLE
        elif tick_age > self.tick_late_after:
            status = HealthStatus.TICK_LATE
        else:
            status = HealthStatus.OK
        return Verdict(status, tick_age, checked_age)

    def _note_database(self, *, ok: bool) -> None:
        self._database_ok = ok
        self._checked_at = self._monotonic()

    async def _count_members(self) -> None:
        try:
            async with asyncio.timeout(MEMBER_COUNT_TIMEOUT_SECONDS):
                counts = await members_by_status(self._runtime)
        except Exception as problem:
            # The database answered the ping just now; a slow count is not an outage.
            self._metrics.count_database_error("members", problem)
            log.warning("members could not be counted: %s", type(problem).__name__)
            return
        self._metrics.set_members(counts)
        self._counted_at = self._monotonic()
