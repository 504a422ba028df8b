"""Members this process has seen lately: their language and whether a flow is open.

Most messages need only that much to be answered (`/help`, free text when nothing is
open, a sticker), and reading it costs more than everything else the bot does for such
a message. So the process that receives a member's updates keeps it at hand, as
python-telegram-bot keeps `user_data` in memory.

It stays true because every session reports the members whose rows it changes (see
`storage.engine.create_session_factory`): the entry is dropped at the flush and again
after the commit, and a read that overlapped any change is not kept. Entries also
expire after `MAX_AGE_SECONDS`, which bounds what a write from another process (an
operator, a deploy's overlap) can leave behind. Processes behind a webhook keep none
(`Settings.remembered_members`).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.members import Identity
from bot.domain.onboarding import load_member
from bot.domain.runtime import Runtime
from storage.engine import reading
from storage.users import MemberBrief, get_member_briefs

__all__ = ["MAX_AGE_SECONDS", "Known", "KnownMembers", "language_of", "recall_member"]

MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Known:
    """An existing member as most answers need them."""

    user_id: int
    chat_id: int
    language: str
    in_flow: bool  # onboarding, settings, a commitment, a reflection or a broadcast is open


class KnownMembers:
    """A bounded, least-recently-used memory of `Known` members by Telegram user id."""

    def __init__(
        self,
        size: int,
        *,
        max_age: float = MAX_AGE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if size <= 0:
            raise ValueError("size must be positive")
        self._size = size
        self._max_age = max_age
        self._monotonic = monotonic
        self._entries: OrderedDict[int, tuple[Known, float]] = OrderedDict()
        self._telegram_ids: dict[int, int] = {}
        self._version = 0
        self._reads: _BriefReads | None = None

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def version(self) -> int:
        """Changes with every change reported; take it before reading the database."""
        return self._version

    def get(self, telegram_id: int) -> Known | None:
        """The member, if seen lately and not changed since."""
        entry = self._entries.get(telegram_id)
        if entry is None:
            return None
        known, stored_at = entry
        if self._monotonic() - stored_at > self._max_age:
            self._drop(telegram_id)
            return None
        self._entries.move_to_end(telegram_id)
        return known

    def put(self, telegram_id: int, known: Known, version: int) -> None:
        """Keep what was read, unless a change was reported since `version` was taken."""
        if version != self._version:
            return
        self._drop(telegram_id)
        self._entries[telegram_id] = (known, self._monotonic())
        self._telegram_ids[known.user_id] = telegram_id
        while len(self._entries) > self._size:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def forget(self, user_ids: frozenset[int] | None) -> None:
        """Members' rows changed (None: any member's may have); a `MembersChanged` hook."""
        self._version += 1
        if user_ids is None:
            self._entries.clear()
            self._telegram_ids.clear()
            return
        for user_id in user_ids:
            telegram_id = self._telegram_ids.get(user_id)
            if telegram_id is not None:
                self._drop(telegram_id)

    def reads(self, sessions: async_sessionmaker[AsyncSession]) -> _BriefReads:
        """Where this process's reads of briefs are gathered."""
        if self._reads is None:
            self._reads = _BriefReads(sessions)
        return self._reads

    def _drop(self, telegram_id: int) -> None:
        entry = self._entries.pop(telegram_id, None)
        if entry is not None:
            self._telegram_ids.pop(entry[0].user_id, None)


class _BriefReads:
    """Reads asked for in the same moment (updates handled at once) go as one query."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._waiting: dict[int, list[asyncio.Future[MemberBrief | None]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def read(self, telegram_id: int) -> MemberBrief | None:
        """The member's brief, read together with whatever else is asked for now."""
        future: asyncio.Future[MemberBrief | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(telegram_id, []).append(future)
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_waiting())
        return await future

    async def _read_waiting(self) -> None:
        await asyncio.sleep(0)  # the other updates of this moment ask first
        waiting, self._waiting, self._reader = self._waiting, {}, None
        try:
            async with reading(self._sessions) as session:
                briefs = await get_member_briefs(session, list(waiting))
        except BaseException as problem:
            for futures in waiting.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(problem)
            if not isinstance(problem, Exception):
                raise
            return
        for telegram_id, futures in waiting.items():
            for future in futures:
                if not future.done():
                    future.set_result(briefs.get(telegram_id))


async def recall_member(runtime: Runtime, who: Identity) -> Known | None:
    """The member writing, from memory or a read; None if unknown or their chat moved."""
    memory = runtime.known_members
    if memory is None:
        async with reading(runtime.sessions) as session:
            brief = (await get_member_briefs(session, [who.telegram_id])).get(who.telegram_id)
        return _known(brief, who)
    known = memory.get(who.telegram_id)
    if known is not None and known.chat_id == who.chat_id:
        return known
    version = memory.version
    known = _known(await memory.reads(runtime.sessions).read(who.telegram_id), who)
    if known is not None:
        memory.put(who.telegram_id, known, version)
    return known


def _known(brief: MemberBrief | None, who: Identity) -> Known | None:
    if brief is None or brief.chat_id != who.chat_id:
        return None
    return Known(brief.user_id, brief.chat_id, brief.language, in_flow=brief.flow is not None)


async def language_of(runtime: Runtime, who: Identity) -> str:
    """The language to answer in; someone new becomes a member, as with `load_member`."""
    known = await recall_member(runtime, who)
    if known is not None:
        return known.language
    return (await load_member(runtime, who)).language
