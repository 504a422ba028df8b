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

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.members import Identity
from bot.domain.onboarding import load_member
from bot.domain.runtime import Runtime
from storage.engine import reading
from storage.users import MemberBrief, get_member_brief

__all__ = ["MAX_AGE_SECONDS", "Known", "KnownMembers", "ensure_member", "recall_member"]

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

    def _drop(self, telegram_id: int) -> None:
        entry = self._entries.pop(telegram_id, None)
        if entry is not None:
            self._telegram_ids.pop(entry[0].user_id, None)


async def recall_member(runtime: Runtime, who: Identity) -> Known | None:
    """The member writing, from memory or a read; None if unknown or their chat moved."""
    memory = runtime.known_members
    if memory is not None:
        known = memory.get(who.telegram_id)
        if known is not None and known.chat_id == who.chat_id:
            return known
    version = memory.version if memory is not None else 0
    async with reading(runtime.sessions) as connection:
        known = _known(await get_member_brief(connection, who.telegram_id), who)
    if known is not None and memory is not None:
        memory.put(who.telegram_id, known, version)
    return known


def _known(brief: MemberBrief | None, who: Identity) -> Known | None:
    if brief is None or brief.chat_id != who.chat_id:
        return None
    return Known(brief.user_id, brief.chat_id, brief.language, in_flow=brief.flow is not None)


async def ensure_member(runtime: Runtime, who: Identity) -> str:
    """Make sure the writer is a member and return the language to answer in.

    Someone new (or whose chat moved) goes through `load_member`; a known member costs
    no write transaction, and none at all when kept at hand.
    """
    known = await recall_member(runtime, who)
    if known is not None:
        return known.language
    return (await load_member(runtime, who)).language
