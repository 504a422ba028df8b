"""Webhook delivery: POST each pending update to the bot's URL, in order, with retries."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from simulator.updates import UpdateQueue

__all__ = ["WebhookConfig", "WebhookDelivery", "WebhookSender"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(slots=True)
class WebhookConfig:
    """What setWebhook stored."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One POST attempt of an update to the webhook."""

    update_id: int
    status: int | None
    error: str | None
    attempt: int
    headers: dict[str, str] = field(default_factory=dict)


class WebhookSender:
    """Background task that drains the update queue into the webhook."""

    def __init__(
        self,
        queue: UpdateQueue,
        *,
        retries: int = 3,
        retry_delay: float = 0.05,
        on_delivered: Callable[[], None] | None = None,
        on_failed: Callable[[], None] | None = None,
    ) -> None:
        self.queue = queue
        self.retries = retries
        self.retry_delay = retry_delay
        self.config: WebhookConfig | None = None
        self.deliveries: list[WebhookDelivery] = []
        self._on_delivered = on_delivered
        self._on_failed = on_failed
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def configure(self, config: WebhookConfig | None) -> None:
        """Set or remove the webhook and start or stop delivering."""
        self.config = config
        if config is not None and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        self.queue.terminate_pollers()

    async def stop(self) -> None:
        """Stop delivering and close the HTTP session."""
        # Python 3.11's wait_for can swallow a cancel that meets its timeout; without a
        # config the loop ends by itself even then.
        self.config = None
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        while True:
            config = self.config
            if config is None:
                self._task = None
                return
            update = self.queue.peek()
            if update is None:
                await self.queue.wait_arrival(0.5)
                continue
            await self._deliver(config, update)

    async def _deliver(self, config: WebhookConfig, update: dict[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers[SECRET_HEADER] = config.secret_token
        error = "no attempt"
        for attempt in range(1, self.retries + 2):
            status: int | None = None
            try:
                async with self._session.post(config.url, json=update, headers=headers) as answer:
                    status = answer.status
                    await answer.read()
                error = "" if 200 <= status < 300 else f"Wrong response from the webhook: {status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            self.deliveries.append(
                WebhookDelivery(update["update_id"], status, error or None, attempt, headers)
            )
            if not error:
                if self.queue.peek() is update:
                    self.queue.pop()
                if self._on_delivered:
                    self._on_delivered()
                return
            config.last_error_date = int(time.time())
            config.last_error_message = error
            await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))
        # Gave up: drop the update so one broken update cannot stall the queue forever.
        if self.queue.peek() is update:
            self.queue.pop()
        if self._on_failed:
            self._on_failed()
