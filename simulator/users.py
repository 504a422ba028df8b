"""Playing the humans: users and groups that send, press buttons and read the bot's answers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from simulator.core import SimulatorCore
from simulator.entities import utf16_len
from simulator.messages import Button, CallbackAnswer, SimEvent, SimMessage
from simulator.state import ChatState

__all__ = ["ButtonNotFound", "SimChat", "SimUser", "command_entities"]

MessagePredicate = Callable[[SimMessage], bool]
ButtonRef = str | int | tuple[int, int] | None
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_SAMPLE_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


class ButtonNotFound(LookupError):
    """A test pressed a button the message does not have."""


def command_entities(text: str) -> list[dict[str, Any]]:
    """Return the bot_command entities Telegram would attach to a user's text."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m[0])}
        for m in _COMMAND.finditer(text)
    ]


def _shorten(text: str, width: int = 50) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class SimChat:
    """A chat as seen by tests: the bot's messages, events, and waiting for new ones."""

    def __init__(self, core: SimulatorCore, chat: ChatState, label: str) -> None:
        self._core = core
        self._chat = chat
        self.label = label
        self._consumed: set[int] = set()
        self._scan_from = 0
        self._event_cursor = 0

    @property
    def chat_id(self) -> int:
        """The chat's id."""
        return self._chat.id

    @property
    def chat(self) -> dict[str, Any]:
        """The Bot API Chat object."""
        return self._chat.info

    @property
    def messages(self) -> list[SimMessage]:
        """The bot's messages in this chat, in order, edits applied, deleted ones left out."""
        return [m for m in self._chat.bot_messages if not m.deleted]

    @property
    def history(self) -> list[SimMessage]:
        """Every message in this chat (users' and the bot's), including deleted ones."""
        return list(self._chat.messages.values())

    @property
    def last_message(self) -> SimMessage | None:
        """The bot's most recent message still shown, if any."""
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def events(self) -> list[SimEvent]:
        """Everything the bot did in this chat, in order."""
        return list(self._chat.events)

    @property
    def errors(self) -> list[str]:
        """The last few error answers the bot got for this chat."""
        return list(self._chat.recent_errors)

    def unread(self) -> list[SimMessage]:
        """Bot messages not yet returned by next_message; marks them read."""
        fresh = [m for m in self._chat.bot_messages if m.message_id not in self._consumed]
        self._consumed.update(m.message_id for m in fresh)
        self._scan_from = len(self._chat.bot_messages)
        return fresh

    def _take(self, predicate: MessagePredicate | None) -> SimMessage | None:
        messages = self._chat.bot_messages
        consumed = self._consumed
        for index in range(self._scan_from, len(messages)):
            message = messages[index]
            if message.message_id in consumed:
                continue
            if predicate is None or predicate(message):
                consumed.add(message.message_id)
                while (
                    self._scan_from < len(messages)
                    and messages[self._scan_from].message_id in consumed
                ):
                    self._scan_from += 1
                return message
        return None

    async def next_message(
        self,
        timeout: float = 5.0,
        predicate: MessagePredicate | None = None,
    ) -> SimMessage:
        """Wait for the next bot message not returned before (optionally matching predicate)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self._take(predicate)
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._summary(timeout, predicate))
            await self._chat.wait_changed(remaining)

    async def next_event(self, timeout: float = 5.0) -> SimEvent:
        """Wait for the next thing the bot did here: message, edit, delete, answer, action."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._event_cursor >= len(self._chat.events):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"{self.label}: no new bot event within {timeout:.1f}s "
                    f"({len(self._chat.events)} events so far; recent errors: {self.errors})"
                )
            await self._chat.wait_changed(remaining)
        event = self._chat.events[self._event_cursor]
        self._event_cursor += 1
        return event

    def _summary(self, timeout: float, predicate: MessagePredicate | None) -> str:
        matching = " matching the predicate" if predicate else ""
        lines = [f"{self.label}: no new bot message{matching} within {timeout:.1f}s."]
        shown = self._chat.bot_messages[-10:]
        if shown:
            lines.append("Bot messages in this chat (read ones marked *):")
            for message in shown:
                mark = "*" if message.message_id in self._consumed else " "
                lines.append(f"  {mark} {message!r}")
        else:
            lines.append("The bot sent nothing to this chat.")
        if self._chat.recent_errors:
            lines.append(f"Recent error answers for this chat: {list(self._chat.recent_errors)}")
        return "\n".join(lines)

    def _user_message(
        self, user: dict[str, Any], *, reply_to: SimMessage | None = None, **fields: Any
    ) -> SimMessage:
        core = self._core
        message = core.new_message(self._chat, user, reply_to=reply_to, **fields)
        core.push_update("message", message.to_api())
        return message

    def _resolve(self, message: SimMessage | int) -> SimMessage:
        if isinstance(message, SimMessage):
            return message
        found = self._chat.messages.get(message)
        if found is None:
            raise LookupError(f"{self.label}: no message #{message} in this chat")
        return found


def _find_button(message: SimMessage, button: ButtonRef, data: str | None) -> Button:
    rows = message.keyboard
    flat = [b for row in rows for b in row]
    labels = [b.text for b in flat]
    found: Button | None = None
    if data is not None:
        found = next((b for b in flat if b.data == data), None)
    elif isinstance(button, tuple):
        row, column = button
        if 0 <= row < len(rows) and 0 <= column < len(rows[row]):
            found = rows[row][column]
    elif isinstance(button, int):
        found = flat[button] if 0 <= button < len(flat) else None
    elif isinstance(button, str):
        found = next((b for b in flat if b.text == button), None) or next(
            (b for b in flat if b.text.casefold() == button.casefold()), None
        )
    elif len(flat) == 1:
        found = flat[0]
    if found is None:
        wanted = f"data={data!r}" if data is not None else repr(button)
        raise ButtonNotFound(f"message {message!r} has no button {wanted}; buttons: {labels}")
    return found


class SimUser(SimChat):
    """A Telegram user in a private chat with the bot (chat id == user id)."""

    def __init__(self, core: SimulatorCore, chat: ChatState, user: dict[str, Any]) -> None:
        super().__init__(core, chat, f"{user['first_name']} (user {user['id']})")
        self.user = user

    @property
    def id(self) -> int:
        """The user's id (also the private chat's id)."""
        user_id: int = self.user["id"]
        return user_id

    @property
    def first_name(self) -> str:
        """The user's first name."""
        return str(self.user["first_name"])

    @property
    def blocked(self) -> bool:
        """Whether the user has blocked the bot."""
        return self._chat.blocked

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """The bot's answers to this user's button presses, in order."""
        return list(self._core.state.callback_answers.get(self.id, []))

    async def send(self, text: str) -> SimMessage:
        """Send a text message; /commands get bot_command entities."""
        entities = command_entities(text) if "/" in text else []
        message = self._user_message(self.user, text=text, entities=entities)
        await asyncio.sleep(0)
        return message

    async def reply_to(self, message: SimMessage | int, text: str) -> SimMessage:
        """Send text as a reply to a message in this chat."""
        target = self._resolve(message)
        sent = self._user_message(
            self.user, reply_to=target, text=text, entities=command_entities(text)
        )
        await asyncio.sleep(0)
        return sent

    async def send_location(self, latitude: float, longitude: float) -> SimMessage:
        """Share a location."""
        location = {"latitude": latitude, "longitude": longitude}
        return await self.send_raw({"location": location})

    async def send_sticker(self, emoji: str = "👍") -> SimMessage:
        """Send a sticker."""
        sticker = {
            "file_id": f"CAACAgSticker{self.id}",
            "file_unique_id": f"AgADSticker{self.id}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return await self.send_raw({"sticker": sticker})

    async def send_voice(self, duration: int = 2) -> SimMessage:
        """Send a voice note."""
        voice = {
            "file_id": f"AwACAgVoice{self.id}",
            "file_unique_id": f"AgADVoice{self.id}",
            "duration": duration,
            "mime_type": "audio/ogg",
        }
        return await self.send_raw({"voice": voice})

    async def send_photo(self, data: bytes = _SAMPLE_PNG, caption: str | None = None) -> SimMessage:
        """Send a photo (kept in the simulator's file store)."""
        file = self._core.state.store_file(data, None, "image/png")
        message = self._user_message(self.user, photo=file, caption=caption)
        await asyncio.sleep(0)
        return message

    async def send_document(
        self, filename: str = "notes.txt", data: bytes = b"notes", caption: str | None = None
    ) -> SimMessage:
        """Send a file."""
        file = self._core.state.store_file(data, filename, "application/octet-stream")
        message = self._user_message(self.user, document=file, caption=caption)
        await asyncio.sleep(0)
        return message

    async def send_raw(self, fields: dict[str, Any]) -> SimMessage:
        """Send a message with arbitrary extra Message fields (location, contact, ...)."""
        message = self._user_message(self.user, extra=dict(fields))
        await asyncio.sleep(0)
        return message

    async def edit(self, message: SimMessage | int, text: str) -> SimMessage:
        """Edit one of the user's own messages; the bot gets an edited_message update."""
        target = self._resolve(message)
        if target.from_bot or target.sender.get("id") != self.id:
            raise LookupError(f"{self.label} can only edit their own messages, not {target!r}")
        target.text, target.entities = text, command_entities(text)
        target.edit_date = self._core.date()
        target.edit_count += 1
        self._core.push_update("edited_message", target.to_api())
        await asyncio.sleep(0)
        return target

    async def press(
        self, message: SimMessage | int, button: ButtonRef = None, *, data: str | None = None
    ) -> str:
        """Press an inline button by label, (row, column), flat index or callback data.

        Returns the callback query id the bot must answer.
        """
        target = self._resolve(message)
        if target.deleted:
            raise ButtonNotFound(f"message {target!r} was deleted; its buttons are gone")
        chosen = _find_button(target, button, data)
        pressed = next(
            b
            for row in (target.reply_markup or {}).get("inline_keyboard", [])
            for b in row
            if b["text"] == chosen.text and b.get("callback_data", b.get("url")) == chosen.data
        )
        if "callback_data" not in pressed:
            raise ButtonNotFound(f"button {chosen.text!r} has no callback_data: {pressed}")
        return await self._push_callback(target, str(pressed["callback_data"]))

    async def press_forged(self, message: SimMessage | int, data: str) -> str:
        """Send callback data the message has no button for, as a tampered client could."""
        return await self._push_callback(self._resolve(message), data)

    async def _push_callback(self, target: SimMessage, data: str) -> str:
        pending = self._core.state.new_callback(self.id, target)
        self._core.push_update(
            "callback_query",
            {
                "id": pending.query_id,
                "from": self.user,
                "message": target.to_api(),
                "chat_instance": str(abs(target.chat_id) * 7919 % 10**18),
                "data": data,
            },
        )
        await asyncio.sleep(0)
        return pending.query_id

    async def wait_callback_answer(
        self,
        query_id: str,
        timeout: float = 5.0,
    ) -> CallbackAnswer:
        """Wait until the bot answered the given button press."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        pending = self._core.state.callbacks[query_id]
        chat = self._core.state.chats[pending.message.chat_id]
        while True:
            for answer in self._core.state.callback_answers.get(self.id, []):
                if answer.callback_query_id == query_id:
                    return answer
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{self.label}: the bot did not answer press {query_id}")
            await chat.wait_changed(remaining)

    def _membership(self, old: str, new: str) -> None:
        bot_user = self._core.state.bot_user
        new_member: dict[str, Any] = {"user": bot_user, "status": new}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: dict[str, Any] = {"user": bot_user, "status": old}
        if old == "kicked":
            old_member["until_date"] = 0
        self._core.push_update(
            "my_chat_member",
            {
                "chat": self._chat.info,
                "from": self.user,
                "date": self._core.date(),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        )

    def block(self) -> None:
        """Block the bot: sends fail with 403 and the bot gets a my_chat_member update."""
        if not self._chat.blocked:
            self._chat.blocked = True
            self._membership("member", "kicked")

    def unblock(self) -> None:
        """Unblock the bot again."""
        if self._chat.blocked:
            self._chat.blocked = False
            self._membership("kicked", "member")
