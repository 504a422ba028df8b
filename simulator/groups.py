"""Group chats whose members talk in front of the bot."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from simulator.core import SimulatorCore
from simulator.messages import SimMessage
from simulator.state import ChatState
from simulator.users import SimChat, SimUser, command_entities

__all__ = ["SimGroup"]


class SimGroup(SimChat):
    """A group chat with members who talk in it."""

    def __init__(
        self, core: SimulatorCore, chat: ChatState, members: Sequence[SimUser] = ()
    ) -> None:
        super().__init__(core, chat, f"group {chat.info.get('title')!r} ({chat.id})")
        self.members: dict[int, SimUser] = {}
        for member in members:
            self.add_member(member)

    @property
    def title(self) -> str:
        """The group's title."""
        return str(self._chat.info.get("title", ""))

    def add_member(self, user: SimUser) -> None:
        """Make user a member who may talk in the group."""
        self.members[user.id] = user
        self._chat.members[user.id] = user.user

    def add_bot(self, by: SimUser | None = None) -> None:
        """Add the bot to the group: the bot gets a my_chat_member update."""
        self._chat.blocked = False
        self._membership(by, "left", "member")

    def remove_bot(self, by: SimUser | None = None) -> None:
        """Kick the bot: sends to the group fail with 403, the bot gets my_chat_member."""
        self._chat.blocked = True
        self._membership(by, "member", "kicked")

    def _membership(self, by: SimUser | None, old: str, new: str) -> None:
        actor = by or next(iter(self.members.values()), None)
        bot_user = self._core.state.bot_user
        self._core.push_update(
            "my_chat_member",
            {
                "chat": self._chat.info,
                "from": actor.user if actor else bot_user,
                "date": self._core.date(),
                "old_chat_member": {"user": bot_user, "status": old},
                "new_chat_member": {"user": bot_user, "status": new},
            },
        )

    async def send(self, member: SimUser, text: str) -> SimMessage:
        """A member writes text in the group."""
        if member.id not in self.members:
            raise LookupError(f"{member.label} is not a member of {self.label}")
        message = self._user_message(member.user, text=text, entities=command_entities(text))
        await asyncio.sleep(0)
        return message
