"""Updates of different members at once, each member's strictly one after the other.

python-telegram-bot handles updates one at a time by default, so every member waits for
everyone else's database work; with `concurrent_updates` they run at once but in any
order, and a member's second message could overtake their first (an answer before its
question). This processor runs up to `max_concurrent_updates` updates at once and
chains the updates of one chat in the order they arrived.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.metrics import Metrics

__all__ = ["CONCURRENT_UPDATES", "PerChatUpdateProcessor"]

# Enough to overlap database waits and share reads; few enough that a burst does not
# queue on the connection pool.
CONCURRENT_UPDATES = 8
# Updates python-telegram-bot may hand over at once (each waits here for its turn).
_ADMITTED = 100_000


class _Chain:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within a chat."""

    def __init__(
        self, max_concurrent_updates: int = CONCURRENT_UPDATES, *, metrics: Metrics | None = None
    ) -> None:
        # python-telegram-bot's own limit only admits updates here; the chat's turn comes
        # first and the working slots after it, so a member who sends many messages at
        # once waits in line holding no slot.
        super().__init__(_ADMITTED)
        self._working = asyncio.Semaphore(max_concurrent_updates)
        self._chains: dict[int, _Chain] = {}
        self._metrics = metrics

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's earlier updates, then for a working slot, then handle this one.

        The time measured includes both waits: it is what the member waited for.
        """
        if self._metrics is None:
            await self._in_turn(update, coroutine)
            return
        with self._metrics.update_handling.time():
            await self._in_turn(update, coroutine)

    async def _in_turn(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        if key is None:
            async with self._working:
                await coroutine
            return
        chain = self._chains.get(key)
        if chain is None:
            chain = self._chains[key] = _Chain()
        chain.users += 1
        try:
            # asyncio.Lock hands over in the order of asking: the order of arrival.
            async with chain.lock, self._working:
                await coroutine
        finally:
            chain.users -= 1
            if chain.users == 0:
                del self._chains[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None
