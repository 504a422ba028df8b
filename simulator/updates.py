"""The update queue: ids, allowed_updates filtering, confirmation by offset, long polling."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterable
from typing import Any

from simulator.errors import ApiError

__all__ = ["DEFAULT_EXCLUDED", "UpdateQueue", "update_kind"]

# Telegram leaves these out unless they are asked for in allowed_updates.
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def update_kind(update: dict[str, Any]) -> str:
    """Return the update's type, the one key besides update_id."""
    for key in update:
        if key != "update_id":
            return key
    return ""


class UpdateQueue:
    """Pending updates in id order, handed out by getUpdates or the webhook."""

    def __init__(self) -> None:
        self._pending: deque[dict[str, Any]] = deque()
        self._next_id = 1
        self.allowed: frozenset[str] | None = None
        self._arrived: asyncio.Event | None = None
        self._poll_generation = 0
        self.closed = False

    @property
    def pending_count(self) -> int:
        """How many updates were not confirmed yet."""
        return len(self._pending)

    def pending(self) -> list[dict[str, Any]]:
        """A copy of the unconfirmed updates."""
        return list(self._pending)

    def set_allowed(self, allowed: Iterable[str] | None) -> None:
        """Remember allowed_updates; an empty list means Telegram's default set."""
        if allowed is None:
            return
        names = frozenset(allowed)
        self.allowed = names or None

    def is_allowed(self, kind: str) -> bool:
        """Whether updates of this kind are delivered under the current setting."""
        if self.allowed is None:
            return kind not in DEFAULT_EXCLUDED
        return kind in self.allowed

    def push(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Queue an update of one kind; return its id, or None when filtered out."""
        if not self.is_allowed(kind):
            return None
        update_id = self._next_id
        self._next_id += 1
        self._append({"update_id": update_id, kind: payload})
        return update_id

    def push_raw(self, update: dict[str, Any]) -> int:
        """Queue an update exactly as given, assigning update_id when it has none."""
        given = update.get("update_id")
        if isinstance(given, int) and not isinstance(given, bool):
            self._next_id = max(self._next_id, given + 1)
            self._append(update)
            return given
        update_id = self._next_id
        self._next_id += 1
        self._append({"update_id": update_id, **update})
        return update_id

    def _append(self, update: dict[str, Any]) -> None:
        self._pending.append(update)
        self._wake()

    def _wake(self) -> None:
        if self._arrived is not None:
            self._arrived.set()
            self._arrived = None

    async def wait_arrival(self, within: float) -> None:
        """Wait up to `within` seconds for a new update (or for the queue to be woken)."""
        if self._arrived is None:
            self._arrived = asyncio.Event()
        arrived = self._arrived
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), within)

    def confirm(self, offset: int) -> None:
        """Forget updates with update_id below offset (negative: keep only the last -offset)."""
        pending = self._pending
        if offset < 0:
            while len(pending) > -offset:
                pending.popleft()
            return
        while pending and pending[0]["update_id"] < offset:
            pending.popleft()

    def peek(self) -> dict[str, Any] | None:
        """The oldest unconfirmed update."""
        return self._pending[0] if self._pending else None

    def pop(self) -> None:
        """Confirm the oldest update."""
        if self._pending:
            self._pending.popleft()

    def drop_all(self) -> None:
        """Forget every pending update (drop_pending_updates)."""
        self._pending.clear()

    def close(self) -> None:
        """Release every waiting long poll with an empty answer."""
        self.closed = True
        self._wake()

    def terminate_pollers(self) -> int:
        """Start a new long poll generation, ending the current waiter with 409."""
        self._poll_generation += 1
        self._wake()
        return self._poll_generation

    async def get_updates(self, offset: int | None, limit: int, poll_for: float) -> list[Any]:
        """Answer getUpdates: confirm by offset, then return or wait for updates."""
        generation = self.terminate_pollers()
        if offset is not None:
            self.confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, poll_for)
        while True:
            if self._pending:
                return [u for _, u in zip(range(limit), self._pending, strict=False)]
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closed:
                return []
            await self.wait_arrival(remaining)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
