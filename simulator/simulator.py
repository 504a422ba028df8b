"""TelegramSimulator: a local Bot API server plus the users and groups that talk to the bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from simulator.core import SimulatorCore
from simulator.faults import FaultInjector
from simulator.groups import SimGroup
from simulator.limits import RateLimiter
from simulator.messages import SimFile
from simulator.recording import RecordedRequest, RequestHook
from simulator.server import BotApiServer
from simulator.state import SimulatorState, command_scope_key
from simulator.stats import SimulatorStats
from simulator.updates import UpdateQueue
from simulator.users import SimUser
from simulator.webhook import WebhookDelivery, WebhookSender

__all__ = ["TelegramSimulator"]


class TelegramSimulator:
    """A Telegram Bot API on 127.0.0.1 that the real python-telegram-bot can talk to."""

    def __init__(
        self,
        token: str = "123:TEST",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        global_rate: float = 30.0,
        per_chat_rate: float = 1.0,
        per_chat_burst: int = 10,
        paid_broadcast_rate: float = 1000.0,
        enforce_limits: bool = True,
        record_requests: bool = True,
        bot_username: str = "netcoach_bot",
        bot_first_name: str = "NetCoach",
        webhook_retries: int = 3,
        webhook_retry_delay: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        queue = UpdateQueue()
        stats = SimulatorStats()
        self._core = SimulatorCore(
            token=token,
            state=SimulatorState(bot_user=self.bot_user),
            updates=queue,
            limiter=RateLimiter(
                global_rate=global_rate,
                per_chat_rate=per_chat_rate,
                per_chat_burst=per_chat_burst,
                paid_broadcast_rate=paid_broadcast_rate,
                enabled=enforce_limits,
                clock=clock,
            ),
            stats=stats,
            faults=FaultInjector(),
            webhook=WebhookSender(
                queue,
                retries=webhook_retries,
                retry_delay=webhook_retry_delay,
                on_delivered=self._count_webhook_delivery,
                on_failed=self._count_webhook_failure,
            ),
            clock=clock,
            record=record_requests,
        )
        self._server = BotApiServer(self._core, host, port)
        self._users: dict[int, SimUser] = {}
        self._groups: dict[int, SimGroup] = {}
        self._next_user_id = 100_001
        self._next_group_number = 1
        self._started = False

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> TelegramSimulator:
        """Start the HTTP server; base_url is valid afterwards."""
        await self._server.start()
        self._started = True
        return self

    async def stop(self) -> None:
        """Release long polls, stop webhook delivery and the HTTP server."""
        self._core.updates.close()
        await self._core.webhook.stop()
        await asyncio.sleep(0)
        await self._server.stop()
        self._started = False

    async def __aenter__(self) -> TelegramSimulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- addresses -------------------------------------------------------------------------

    @property
    def token(self) -> str:
        """The only token the simulator accepts."""
        return self._core.token

    @property
    def port(self) -> int:
        """The bound TCP port (after start)."""
        return self._server.port

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. http://127.0.0.1:PORT."""
        if not self._started:
            raise RuntimeError("the simulator is not started; await sim.start() first")
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def base_url(self) -> str:
        """Bot API base URL for PTB's base_url: http://127.0.0.1:PORT/bot."""
        return f"{self.url}/bot"

    @property
    def api_url(self) -> str:
        """Full prefix of method URLs: base_url + token + '/'."""
        return f"{self.base_url}{self.token}/"

    # -- the world -------------------------------------------------------------------------

    def user(
        self,
        first_name: str = "Anna",
        *,
        user_id: int | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "de",
        is_premium: bool = False,
    ) -> SimUser:
        """Create a user with a private chat (chat id == user id); same id returns the same user."""
        if user_id is not None and user_id in self._users:
            return self._users[user_id]
        if user_id is None:
            while self._next_user_id in self._users:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat_info: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username)):
            if value:
                user[key] = chat_info[key] = value
        if language_code:
            user["language_code"] = language_code
        if is_premium:
            user["is_premium"] = True
        state = self._core.state
        state.users[user_id] = user
        sim_user = SimUser(self._core, state.add_chat(chat_info), user)
        self._users[user_id] = sim_user
        return sim_user

    @property
    def users(self) -> list[SimUser]:
        """Every simulated user, in creation order."""
        return list(self._users.values())

    def group(
        self,
        title: str = "Netzwerk-Stammtisch",
        *,
        members: Sequence[SimUser] = (),
        supergroup: bool = False,
        username: str | None = None,
    ) -> SimGroup:
        """Create a group (or supergroup) chat whose members can write in it."""
        number = self._next_group_number
        self._next_group_number += 1
        chat_id = -(1_000_000_000_000 + number) if supergroup else -(4_000_000_000 + number)
        info: dict[str, Any] = {
            "id": chat_id,
            "type": "supergroup" if supergroup else "group",
            "title": title,
        }
        if username:
            info["username"] = username
        group = SimGroup(self._core, self._core.state.add_chat(info), members)
        self._groups[chat_id] = group
        return group

    def inject_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update as given (update_id assigned when missing); returns its id."""
        self._core.stats.updates_created += 1
        return self._core.updates.push_raw(update)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        return self._core.updates.pending()

    def file(self, file_id: str) -> SimFile:
        """A stored file by id (uploads keep their bytes and name)."""
        return self._core.state.files[file_id]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The command list stored by setMyCommands for scope and language."""
        return list(self._core.state.commands.get(command_scope_key(scope, language_code), []))

    @property
    def allowed_updates(self) -> frozenset[str] | None:
        """The update types the bot last asked for (None: Telegram's default set)."""
        return self._core.updates.allowed

    def description(self, language_code: str = "") -> str:
        """What setMyDescription stored for the language: the empty chat's text before Start."""
        return self._core.state.descriptions.get(language_code, "")

    def short_description(self, language_code: str = "") -> str:
        """What setMyShortDescription stored for the language (profile page, link previews)."""
        return self._core.state.short_descriptions.get(language_code, "")

    # -- observation and control -----------------------------------------------------------

    @property
    def stats(self) -> SimulatorStats:
        """Counters: sends, 429s, 403s, per method, peaks per second."""
        return self._core.stats

    @property
    def faults(self) -> FaultInjector:
        """Fault injection: failing, slow and rate-limited answers."""
        return self._core.faults

    @property
    def limiter(self) -> RateLimiter:
        """The flood limiter; its rates and `enabled` may be changed at runtime."""
        return self._core.limiter

    @property
    def enforce_limits(self) -> bool:
        """Whether flood limits are applied."""
        return self._core.limiter.enabled

    @enforce_limits.setter
    def enforce_limits(self, value: bool) -> None:
        self._core.limiter.enabled = value

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every recorded call (when recording is on)."""
        return self._core.requests

    @property
    def record_requests(self) -> bool:
        """Whether calls are kept in `requests`."""
        return self._core.record

    @record_requests.setter
    def record_requests(self, value: bool) -> None:
        self._core.record = value

    def requests_for(self, method: str) -> list[RecordedRequest]:
        """Recorded calls of one method (case-insensitive)."""
        wanted = method.lower()
        return [r for r in self._core.requests if r.method.lower() == wanted]

    def clear_requests(self) -> None:
        """Forget recorded calls."""
        self._core.requests.clear()

    def on_request(self, hook: RequestHook) -> Callable[[], None]:
        """Call hook with every answered request; returns a function that removes it."""
        self._core.hooks.append(hook)
        return lambda: self._core.hooks.remove(hook)

    @property
    def webhook_url(self) -> str | None:
        """The URL set by setWebhook, if any."""
        config = self._core.webhook.config
        return config.url if config else None

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every POST attempt made to the webhook."""
        return self._core.webhook.deliveries

    def _count_webhook_delivery(self) -> None:
        self._core.stats.webhook_deliveries += 1

    def _count_webhook_failure(self) -> None:
        self._core.stats.webhook_failures += 1
