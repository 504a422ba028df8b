"""GET /healthz and GET /metrics on a port of their own (`NETCOACH_HEALTH_PORT`), in every mode.

Imported only when something serves HTTP (a health port, or webhook mode): a polling bot
without a health port never loads aiohttp's server. Both answers come from memory, the
health monitor's notes and the metrics registry; no request reaches the database.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.health import HealthMonitor
from bot.metrics import METRICS_CONTENT_TYPE, Metrics

__all__ = ["HEALTH_PATH", "METRICS_PATH", "HealthServer", "health_response"]

log = logging.getLogger("netcoach.health")

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


def health_response(health: HealthMonitor) -> web.Response:
    """200 with the status while healthy, else 503 with the reason (the webhook's too)."""
    verdict = health.verdict()
    return web.json_response(verdict.as_json(), status=200 if verdict.healthy else 503)


class HealthServer:
    """Answers health checks and Prometheus scrapes; nothing else."""

    def __init__(self, health: HealthMonitor, metrics: Metrics, *, listen: str, port: int) -> None:
        self._health = health
        self._metrics = metrics
        self._listen = listen
        self._port = port
        # GET only, and no body to read: nothing to size beyond aiohttp's defaults.
        app = web.Application()
        app.router.add_get(HEALTH_PATH, self._answer_health)
        app.router.add_get(METRICS_PATH, self._answer_metrics)
        self._runner = web.AppRunner(app, access_log=None)
        self._site: web.TCPSite | None = None

    @property
    def port(self) -> int:
        """The bound TCP port (useful when 0 was asked for)."""
        if self._site is None:
            raise RuntimeError("the health server is not started")
        return int(self._runner.addresses[0][1])

    async def start(self) -> None:
        """Bind and start answering."""
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self._listen, self._port)
        await self._site.start()
        log.info("health and metrics on http://%s:%d%s", self._listen, self.port, METRICS_PATH)

    async def stop(self) -> None:
        """Stop answering and release the port."""
        await self._runner.cleanup()
        self._site = None

    async def _answer_health(self, _request: web.Request) -> web.Response:
        return health_response(self._health)

    async def _answer_metrics(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=self._metrics.exposition(), headers={"Content-Type": METRICS_CONTENT_TYPE}
        )
