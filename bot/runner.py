"""Running the application inside an event loop we own, and stopping it cleanly.

Three modes share one `Application` assembly (handlers, dispatcher, the repeating
tick): `polling` long-polls Telegram, `webhook` serves Telegram's POSTs through
`bot.webhook`, and `dispatch` receives no updates at all and only runs the tick, so
extra processes on one PostgreSQL database can share the weekly dispatch.

With `NETCOACH_HEALTH_PORT` every mode also serves /healthz and /metrics
(`bot.health_server`). aiohttp's server is imported only when a port is served, so a
polling bot without one never loads it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Literal

from telegram import Update

from bot.app import NetcoachApplication, build_application
from bot.domain.city_index import use_cache_dir
from bot.domain.places import prepare_places
from bot.domain.runtime import Runtime
from bot.health import REFRESH_SECONDS
from content.i18n import load_date_names
from handlers.registry import set_bot_commands

if TYPE_CHECKING:
    from bot.health_server import HealthServer
    from bot.webhook import WebhookServer

__all__ = ["DEFAULT_WEBHOOK_PORT", "RunMode", "running_bot", "serve_until_signal"]

RunMode = Literal["polling", "webhook", "dispatch"]
DEFAULT_WEBHOOK_PORT = 8443
log = logging.getLogger("netcoach")


async def _start_webhook(application: NetcoachApplication, runtime: Runtime) -> WebhookServer:
    """Serve the webhook first, then tell Telegram where it is (so no POST finds it closed)."""
    from bot.webhook import WebhookServer, webhook_path

    settings = runtime.settings
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    server = WebhookServer(
        application,
        secret=secret,
        path=webhook_path(settings.webhook_url),
        listen=settings.webhook_listen,
        port=settings.webhook_port or DEFAULT_WEBHOOK_PORT,
        health=application.bot_data.health,
    )
    await server.start()
    await application.bot.set_webhook(
        settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
    )
    return server


async def _start_health_server(application: NetcoachApplication, port: int) -> HealthServer:
    """Serve /healthz and /metrics on `port`."""
    from bot.health_server import HealthServer

    bot_data = application.bot_data
    server = HealthServer(
        bot_data.health,
        bot_data.metrics,
        listen=bot_data.runtime.settings.health_listen,
        port=port,
    )
    await server.start()
    return server


async def _keep_health_fresh(application: NetcoachApplication) -> None:
    """Check once now (so the first request finds an answer), then every few seconds."""
    health = application.bot_data.health
    await health.refresh()
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        health.refresh, interval=REFRESH_SECONDS, first=REFRESH_SECONDS, name="health"
    )


async def _warm_up(*, places: bool) -> None:
    """Once serving: take start-up out of the collector's sight, and ready what answers need.

    What is loaded by now (modules, cards) lives as long as the process; frozen, a full
    collection no longer walks it (one took 60-100 ms on a small machine, stalling every
    member's answer and every send in flight). The city index is a file read on the
    first look-up; here it is only built (in a child process, once per version) when it
    is missing. The date names of both languages (babel's locale data, 15-40 ms each on
    first use) are loaded, so a member's first answer does not wait for them.
    """
    gc.freeze()
    if places:
        await asyncio.to_thread(load_date_names)
        try:
            await asyncio.to_thread(prepare_places)
        except Exception:
            # Not fatal: the first look-up tries again and answers with what it finds.
            log.exception("could not prepare the city index")


@asynccontextmanager
async def running_bot(
    runtime: Runtime,
    *,
    token: str,
    base_url: str,
    poll_timeout: float = 10.0,
    mode: RunMode = "polling",
) -> AsyncIterator[NetcoachApplication]:
    """Start the application in `mode` until the block ends (with the health port if set)."""
    application = build_application(runtime, token=token, base_url=base_url)
    use_cache_dir(runtime.settings.cache_dir)
    warm_up: asyncio.Task[None] | None = None
    health_port = runtime.settings.health_port
    webhook: WebhookServer | None = None
    health_server: HealthServer | None = None
    async with application:
        if mode != "dispatch":
            await set_bot_commands(application)
        await application.start()
        assert application.updater is not None
        try:
            if health_port is not None or mode == "webhook":
                await _keep_health_fresh(application)
            if health_port is not None:
                health_server = await _start_health_server(application, health_port)
            if mode == "polling":
                await application.updater.start_polling(
                    timeout=int(poll_timeout), allowed_updates=Update.ALL_TYPES
                )
            elif mode == "webhook":
                webhook = await _start_webhook(application, runtime)
            # After the first poll, not before: it would only slow the start down. A
            # dispatch-only worker never answers a member.
            warm_up = asyncio.create_task(_warm_up(places=mode != "dispatch"))
            yield application
        finally:
            # Balancers and orchestrators hear it first, while the rest winds down.
            application.bot_data.health.mark_stopping()
            if application.updater.running:
                await application.updater.stop()
            if webhook is not None:
                # The webhook stays registered: other processes behind the balancer serve it.
                await webhook.stop()
            await application.bot_data.dispatcher.stop()
            await application.stop()
            await application.bot_data.charts.close()
            if health_server is not None:
                await health_server.stop()
            if warm_up is not None:
                await warm_up


async def serve_until_signal(
    runtime: Runtime, *, token: str, base_url: str, mode: RunMode = "polling"
) -> None:
    """Run in `mode` until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with running_bot(runtime, token=token, base_url=base_url, mode=mode):
        await stop.wait()
