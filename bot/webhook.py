"""Webhook mode: our own small aiohttp server that checks Telegram's secret and feeds updates.

PTB's built-in webhook server checks the secret too, but it offers no health endpoint
for load balancers and no say in how rejected requests are logged; this one does both
and hands every accepted update to `application.update_queue`, exactly as polling does.
Its /healthz is the health server's (`bot.health_server`): the same cached verdict.

Whatever reaches the port from the internet is answered without a traceback: a request
that is not Telegram's (no or a wrong secret, a header or body that cannot be read, a
malformed HTTP request) gets a 4xx, is counted in `netcoach_webhook_rejections_total`
by reason, and is logged at most once a minute as a count per reason, so a scanner or
an attacker cannot flood the log.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from telegram import Update
from telegram.ext import Application

from bot.health import HealthMonitor
from bot.health_server import HEALTH_PATH, health_response
from bot.metrics import Metrics, WebhookRejection

__all__ = [
    "HEALTH_PATH",
    "REJECTIONS_LOGGED_EVERY",
    "SECRET_HEADER",
    "RejectionLog",
    "WebhookServer",
    "webhook_path",
]

log = logging.getLogger("netcoach.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are small; anything near this is not from Telegram.
_MAX_BODY_BYTES = 1024 * 1024
REJECTIONS_LOGGED_EVERY = 60.0

# How each rejection reads in the log (never the header's value or the body).
_WHY = {
    WebhookRejection.NO_SECRET: "no secret token",
    WebhookRejection.WRONG_SECRET: "wrong secret token",
    WebhookRejection.MALFORMED_SECRET: "secret token is not text",
    WebhookRejection.TOO_LARGE: "body too large",
    WebhookRejection.NOT_JSON: "body is not JSON",
    WebhookRejection.NOT_AN_UPDATE: "body is not an update",
    WebhookRejection.UNREADABLE_UPDATE: "update could not be read",
    WebhookRejection.MALFORMED_REQUEST: "malformed HTTP request",
}


def webhook_path(url: str) -> str:
    """The path the server answers on: the path of the public webhook URL ("/" if none)."""
    return urlsplit(url).path or "/"


class RejectionLog:
    """Counts rejected requests and logs them at most once every `every` seconds.

    The first rejection after a quiet spell is logged at once; those that follow within
    the interval are summed up in one line when it ends (or when the server stops).
    """

    def __init__(
        self,
        metrics: Metrics,
        *,
        every: float = REJECTIONS_LOGGED_EVERY,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._metrics = metrics
        self._every = every
        self._clock = clock
        self._pending: Counter[WebhookRejection] = Counter()
        self._last_logged: float | None = None
        self._flush: asyncio.TimerHandle | None = None

    def note(self, reason: WebhookRejection) -> None:
        """Count one rejection; log now, or with the others when the interval ends."""
        self._metrics.webhook_rejections.labels(reason.value).inc()
        self._pending[reason] += 1
        if self._flush is not None:
            return
        now = self._now()
        if self._last_logged is None or now - self._last_logged >= self._every:
            self.flush()
        else:
            delay = self._every - (now - self._last_logged)
            self._flush = asyncio.get_running_loop().call_later(delay, self.flush)

    def flush(self) -> None:
        """Log what was counted since the last line (nothing if nothing was)."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if not self._pending:
            return
        total = sum(self._pending.values())
        reasons = ", ".join(f"{_WHY[reason]} {n}" for reason, n in self._pending.most_common())
        log.warning(
            "%d webhook request%s rejected in the last minute: %s",
            total,
            "" if total == 1 else "s",
            reasons,
        )
        self._pending.clear()
        self._last_logged = self._now()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()


class _MalformedRequests(logging.Filter):
    """Turns aiohttp's traceback for a request it could not parse into a counted rejection."""

    def __init__(self, rejections: RejectionLog) -> None:
        super().__init__()
        self._rejections = rejections

    def filter(self, record: logging.LogRecord) -> bool:
        problem = record.exc_info[1] if record.exc_info else None
        if isinstance(problem, HttpProcessingError):
            self._rejections.note(WebhookRejection.MALFORMED_REQUEST)
            return False
        return True


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
        metrics: Metrics,
        rejections_logged_every: float = REJECTIONS_LOGGED_EVERY,
    ) -> None:
        self._application = application
        self._secret = secret.encode("utf-8")
        self._listen = listen
        self._port = port
        self._health = health
        self.rejections = RejectionLog(metrics, every=rejections_logged_every)
        app = web.Application(client_max_size=_MAX_BODY_BYTES)
        app.router.add_post(path, self._receive)
        app.router.add_get(HEALTH_PATH, self._answer_health)
        # aiohttp logs a request it cannot parse with a traceback; this server's own
        # logger (a child of ours, not shared with other servers) counts it instead.
        http_log = logging.Logger("netcoach.webhook.http")
        http_log.parent = log
        http_log.addFilter(_MalformedRequests(self.rejections))
        self._runner = web.AppRunner(app, access_log=None, logger=http_log)
        self._site: web.TCPSite | None = None

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
        """Stop answering, release the port, and log the rejections not logged yet."""
        await self._runner.cleanup()
        self._site = None
        self.rejections.flush()

    def _reject(self, status: int, reason: WebhookRejection) -> web.Response:
        # Never log the body or the header's value: neither is ours to keep.
        self.rejections.note(reason)
        return web.Response(status=status)

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return self._reject(401, WebhookRejection.NO_SECRET)
        try:
            # aiohttp hands bytes that are not UTF-8 on as lone surrogates.
            given_bytes = given.encode("utf-8")
        except UnicodeEncodeError:
            return self._reject(400, WebhookRejection.MALFORMED_SECRET)
        if not hmac.compare_digest(given_bytes, self._secret):
            return self._reject(403, WebhookRejection.WRONG_SECRET)
        try:
            data = await request.json()
        except web.HTTPRequestEntityTooLarge:
            return self._reject(413, WebhookRejection.TOO_LARGE)
        except (ValueError, RecursionError):
            # Not JSON, not UTF-8, or nested deeper than the parser goes.
            return self._reject(400, WebhookRejection.NOT_JSON)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return self._reject(400, WebhookRejection.NOT_AN_UPDATE)
        try:
            update = Update.de_json(data, self._application.bot)
        except Exception:
            return self._reject(400, WebhookRejection.UNREADABLE_UPDATE)
        await self._application.update_queue.put(update)
        return web.Response(status=200)

    async def _answer_health(self, _request: web.Request) -> web.Response:
        return health_response(self._health)
