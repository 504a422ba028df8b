"""Webhook mode: our own small aiohttp server that checks Telegram's secret and feeds updates.

PTB's built-in webhook server checks the secret too, but it offers no health endpoint
for load balancers and no say in how rejected requests are logged; this one does both
and hands every accepted update to `application.update_queue`, exactly as polling does.
Its /healthz is the health server's (`bot.health_server`): the same cached verdict.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.health import HealthMonitor
from bot.health_server import HEALTH_PATH, health_response

__all__ = ["HEALTH_PATH", "SECRET_HEADER", "WebhookServer", "webhook_path"]

log = logging.getLogger("netcoach.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are small; anything near this is not from Telegram.
_MAX_BODY_BYTES = 1024 * 1024


def webhook_path(url: str) -> str:
    """The path the server answers on: the path of the public webhook URL ("/" if none)."""
    return urlsplit(url).path or "/"


class WebhookServer:
    """Accepts Telegram's POSTs carrying the right secret; everything else is turned away."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        secret: str,
        path: str,
        listen: str,
        port: int,
        health: HealthMonitor,
    ) -> None:
        self._application = application
        self._secret = secret.encode("utf-8")
        self._listen = listen
        self._port = port
        self._health = health
        app = web.Application(client_max_size=_MAX_BODY_BYTES)
        app.router.add_post(path, self._receive)
        app.router.add_get(HEALTH_PATH, self._answer_health)
        self._runner = web.AppRunner(app, access_log=None)
        self._site: web.TCPSite | None = None
        self.rejected = 0

    @property
    def port(self) -> int:
        """The bound TCP port (useful when 0 was asked for)."""
        if self._site is None:
            raise RuntimeError("the webhook server is not started")
        return int(self._runner.addresses[0][1])

    async def start(self) -> None:
        """Bind and start answering."""
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self._listen, self._port)
        await self._site.start()
        log.info("webhook server listening on %s:%d", self._listen, self.port)

    async def stop(self) -> None:
        """Stop answering and release the port."""
        await self._runner.cleanup()
        self._site = None

    def _reject(self, request: web.Request, status: int, why: str) -> web.Response:
        # Never log the body or the header's value: neither is ours to keep.
        self.rejected += 1
        log.warning("webhook request from %s rejected (%d): %s", request.remote, status, why)
        return web.Response(status=status)

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return self._reject(request, 401, "no secret token")
        if not hmac.compare_digest(given.encode("utf-8"), self._secret):
            return self._reject(request, 403, "wrong secret token")
        try:
            data = await request.json()
        except ValueError:
            return self._reject(request, 400, "body is not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return self._reject(request, 400, "body is not an update")
        try:
            update = Update.de_json(data, self._application.bot)
        except Exception:
            return self._reject(request, 400, "update could not be read")
        await self._application.update_queue.put(update)
        return web.Response(status=200)

    async def _answer_health(self, _request: web.Request) -> web.Response:
        return health_response(self._health)
