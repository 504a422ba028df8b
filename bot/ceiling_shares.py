"""Keeping this process's share of Telegram's ceilings while it sends.

Every `run` process on one database holds a share of each ceiling
(`bot.domain.ceiling_shares` explains how they are split) and its pacer sends within it.
The keeper renews the shares a few times a second while the pacer has sends waiting or
in its window, at once when a send waits for a share the process does not hold, and
more often while some process holds less than its part of the split (shares move as their
holders renew). Idle, it gives its share back and touches the database no more until
the next send.

The keeper talks to the database over a connection of its own, so its renewals never
wait behind a dispatch's queries (nor show among them).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from contextlib import suppress

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.domain.ceiling_shares import (
    DRAIN_SECONDS,
    LEASE_SECONDS,
    LEAVING_STEP,
    LEAVING_STEPS,
    ShareAsk,
    Window,
    renew_shares,
)
from bot.pacing import Ceiling, CeilingUse, SendPacer
from storage.engine import create_engine

__all__ = ["RENEW_ALONE", "RENEW_EVERY", "RENEW_SOON", "CeilingKeeper", "shares_the_database"]

log = logging.getLogger("netcoach.ceiling")

# How often a share is renewed while the process sends beside others (they learn its
# demand then), and while it sends alone (a process that joins asks at once, and gets its
# part of the split once this one renews). A renewal costs about 2 ms of CPU.
RENEW_EVERY = 0.25
RENEW_ALONE = 0.5
# How often while some process holds less than its part of the split; also the least time
# between two renewals.
RENEW_SOON = 0.05
# After a failed renewal (the database away): the next try. The lease runs out meanwhile.
RETRY_AFTER = 0.5
# A failed renewal is logged at most this often.
_LOG_EVERY = 60.0


def shares_the_database(database_url: str) -> bool:
    """Whether other processes can use this database (not an in-memory SQLite one)."""
    url = make_url(database_url)
    return url.get_backend_name() != "sqlite" or url.database not in (None, "", ":memory:")


def _holder_name() -> str:
    """This process, as its share rows name it: host, process id and a random part."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{secrets.token_hex(4)}"


class CeilingKeeper:
    """Holds this process's share of the ceilings for `pacer`, renewing it as it sends."""

    def __init__(
        self,
        pacer: SendPacer,
        database_url: str,
        *,
        lease: float = LEASE_SECONDS,
        drain: float = DRAIN_SECONDS,
    ) -> None:
        self.pacer = pacer
        self.holder = _holder_name()
        self._database_url = database_url
        self._lease = lease
        self._drain = drain
        self._wanted = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._holding = False
        self._contended = False
        self._shared = False
        self._last_logged = -_LOG_EVERY
        # Nothing is held until the database says so.
        for use in pacer.uses():
            pacer.share(use.ceiling, 0, until=pacer.now())
        pacer.when_short(self._wanted.set)

    async def start(self) -> None:
        """Open the keeper's connection and start keeping."""
        self._engine = create_engine(self._database_url, pool_size=1, max_overflow=0)
        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)
        self._task = asyncio.create_task(self._keep(), name="netcoach-ceiling")

    async def stop(self) -> None:
        """Stop renewing and give the share back (its last sends stay reserved a moment)."""
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            if self._holding:
                await asyncio.wait_for(self._renew(busy=False), timeout=2.0)
        except Exception as problem:
            log.warning("could not give the send share back: %s", type(problem).__name__)
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def _keep(self) -> None:
        last = -RENEW_SOON
        while True:
            # Cleared before looking: a send that comes short after this wakes the wait below.
            self._wanted.clear()
            busy = any(use.waiting or use.in_window for use in self.pacer.uses())
            wait: float | None = None
            if busy or self._holding:
                pause = last + RENEW_SOON - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                last = time.monotonic()
                try:
                    await self._renew(busy=busy)
                except Exception as problem:
                    self._log_failure(problem)
                    wait = RETRY_AFTER
            if wait is None and self._holding:
                wait = (
                    RENEW_SOON if self._contended else RENEW_EVERY if self._shared else RENEW_ALONE
                )
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wanted.wait(), wait)

    async def _renew(self, *, busy: bool) -> None:
        """Renew the share of every ceiling (an idle process gives it back)."""
        assert self._sessions is not None
        began = self.pacer.now()
        if not busy:
            # Nothing starts from here on, so nothing but what is in the window is reserved.
            for use in self.pacer.uses():
                self.pacer.share(use.ceiling, 0, until=began)
        asks = [self._ask(use, busy, began) for use in self.pacer.uses()]
        grants = await renew_shares(
            self._sessions,
            self.holder,
            asks,
            lease=self._lease,
            drain=self._drain,
            settle=lambda ceiling, held: self._settle(Ceiling(ceiling), held, began),
        )
        for grant in grants:
            ceiling = Ceiling(grant.ceiling)
            self.pacer.share(
                ceiling,
                grant.held,
                until=began + self._lease,
                rising=grant.rising,
                step=LEAVING_STEP,
            )
        self._holding = busy
        self._contended = any(grant.contended for grant in grants)
        self._shared = any(grant.shared for grant in grants)

    def _window(self, ceiling: Ceiling, since: float) -> Window:
        """This process's sends against `ceiling`, by when they leave the window."""
        staying, leaving = self.pacer.leaving(ceiling, since, LEAVING_STEP, LEAVING_STEPS)
        return Window(staying, tuple(leaving))

    def _settle(self, ceiling: Ceiling, held: int, since: float) -> Window:
        """Keep to a smaller share from now on; its sends as they are then."""
        self.pacer.shrink(ceiling, held)
        return self._window(ceiling, since)

    def _ask(self, use: CeilingUse, busy: bool, since: float) -> ShareAsk:
        """What to ask for: what went in the last second (or is on its way) and what waits.

        A dispatch whose next batch is a moment away keeps what it used; one that is done
        asks for less as its sends leave the window, and nothing once they have.
        """
        demand = min(use.units, use.waiting + use.in_window) if busy else 0
        window = self._window(use.ceiling, since)
        return ShareAsk(use.ceiling.value, use.units, use.held, window, demand)

    def _log_failure(self, problem: Exception) -> None:
        now = time.monotonic()
        if now - self._last_logged >= _LOG_EVERY:
            self._last_logged = now
            log.warning(
                "could not renew the send share (%s); sends wait once the lease is over",
                type(problem).__name__,
            )
