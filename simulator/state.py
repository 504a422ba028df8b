"""The simulated world: users, chats with their messages and events, files, commands."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from simulator.errors import ApiError, bad_request
from simulator.messages import CallbackAnswer, SimEvent, SimFile, SimMessage

__all__ = ["ChatState", "PendingCallback", "SimulatorState", "command_scope_key"]


_FORBIDDEN = {
    "private": "bot was blocked by the user",
    "group": "bot was kicked from the group chat",
    "supergroup": "bot was kicked from the supergroup chat",
}


class ChatState:
    """One chat: its messages by id, the bot's messages in order, and an event log."""

    __slots__ = (
        "_changed",
        "blocked",
        "bot_messages",
        "events",
        "id",
        "info",
        "members",
        "messages",
        "next_message_id",
        "recent_errors",
    )

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.id: int = info["id"]
        self.next_message_id = 1
        self.messages: dict[int, SimMessage] = {}
        self.bot_messages: list[SimMessage] = []
        self.events: list[SimEvent] = []
        self.blocked = False
        self.members: dict[int, dict[str, Any]] = {}
        self.recent_errors: deque[str] = deque(maxlen=5)
        self._changed: asyncio.Event | None = None

    @property
    def type(self) -> str:
        """Telegram chat type: private, group, supergroup or channel."""
        kind: str = self.info["type"]
        return kind

    def take_message_id(self) -> int:
        """Reserve the next message id in this chat."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def add_message(self, message: SimMessage) -> None:
        """Store a new message; bot messages also become a "message" event."""
        self.messages[message.message_id] = message
        if message.from_bot:
            self.bot_messages.append(message)
            self.add_event(SimEvent("message", self.id, message, message.body))

    def add_event(self, event: SimEvent) -> None:
        """Append an event and wake anyone waiting on this chat."""
        self.events.append(event)
        self.notify()

    def notify(self) -> None:
        """Wake waiters without recording an event."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_changed(self, within: float) -> bool:
        """Wait up to `within` seconds until something happens in this chat; False if not."""
        if self._changed is None:
            self._changed = asyncio.Event()
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), within)
        except TimeoutError:
            return False
        return True


@dataclass(slots=True)
class PendingCallback:
    """A button press waiting for answerCallbackQuery."""

    query_id: str
    user_id: int
    message: SimMessage
    answered: bool = False


def command_scope_key(scope: dict[str, Any] | None, language_code: str | None) -> str:
    """Key under which setMyCommands stores a command list."""
    scope = scope or {"type": "default"}
    return json.dumps([scope, language_code or ""], sort_keys=True)


@dataclass(slots=True)
class SimulatorState:
    """Everything the simulator remembers between requests."""

    bot_user: dict[str, Any]
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    chats: dict[int, ChatState] = field(default_factory=dict)
    usernames: dict[str, int] = field(default_factory=dict)
    files: dict[str, SimFile] = field(default_factory=dict)
    callbacks: dict[str, PendingCallback] = field(default_factory=dict)
    callback_answers: dict[int, list[CallbackAnswer]] = field(default_factory=dict)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # setMyDescription / setMyShortDescription, by language code ("" for every other).
    descriptions: dict[str, str] = field(default_factory=dict)
    short_descriptions: dict[str, str] = field(default_factory=dict)
    _file_counter: int = 0
    _callback_counter: int = 0

    def add_chat(self, info: dict[str, Any]) -> ChatState:
        """Create a chat from its Bot API Chat object."""
        chat = ChatState(info)
        self.chats[chat.id] = chat
        if info.get("username"):
            self.usernames[str(info["username"]).lower()] = chat.id
        return chat

    def resolve_chat(self, chat_id: int | str | None) -> ChatState:
        """Find a chat by id or @username, or fail like Telegram."""
        if isinstance(chat_id, str):
            found = self.usernames.get(chat_id.removeprefix("@").lower())
            chat = self.chats.get(found) if found is not None else None
        else:
            chat = self.chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def check_not_blocked(self, chat: ChatState) -> None:
        """Fail with 403 when the user blocked the bot or the bot was removed from the group."""
        if chat.blocked:
            reason = _FORBIDDEN.get(chat.type, "bot is not a member of the chat")
            raise ApiError(403, f"Forbidden: {reason}")

    def store_file(self, data: bytes, filename: str | None, mime_type: str | None) -> SimFile:
        """Keep an uploaded file and give it Telegram-style ids."""
        self._file_counter += 1
        digest = hashlib.blake2b(data, digest_size=6).hexdigest()
        file = SimFile(
            file_id=f"BQACAgSim{self._file_counter:08d}{digest}",
            file_unique_id=f"AgADSim{self._file_counter}",
            filename=filename,
            mime_type=mime_type,
            data=data,
        )
        self.files[file.file_id] = file
        return file

    def new_callback(self, user_id: int, message: SimMessage) -> PendingCallback:
        """Register a button press and return it with a fresh query id."""
        self._callback_counter += 1
        query_id = str(4_000_000_000_000 + self._callback_counter)
        pending = PendingCallback(query_id, user_id, message)
        self.callbacks[query_id] = pending
        return pending
