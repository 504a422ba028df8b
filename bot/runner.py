"""Running the application inside an event loop we own, and stopping it cleanly.

Three modes share one `Application` assembly (handlers, dispatcher, the repeating
tick): `polling` long-polls Telegram, `webhook` serves Telegram's POSTs through
`bot.webhook`, and `dispatch` receives no updates at all and only runs the tick, so
extra processes on one PostgreSQL database can share the weekly dispatch.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Literal

from sqlalchemy import text
from telegram import Update

from bot.app import NetcoachApplication, build_application
from bot.domain.places import warm_up_places
from bot.domain.runtime import Runtime
from bot.webhook import WebhookServer, webhook_path
from handlers.registry import set_bot_commands

__all__ = ["DEFAULT_WEBHOOK_PORT", "RunMode", "running_bot", "serve_until_signal"]

RunMode = Literal["polling", "webhook", "dispatch"]
DEFAULT_WEBHOOK_PORT = 8443


async def _start_webhook(application: NetcoachApplication, runtime: Runtime) -> WebhookServer:
    """Serve the webhook first, then tell Telegram where it is (so no POST finds it closed)."""
    settings = runtime.settings
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()

    async def database_answers() -> None:
        async with runtime.sessions() as session:
            await session.execute(text("SELECT 1"))

    server = WebhookServer(
        application,
        secret=secret,
        path=webhook_path(settings.webhook_url),
        listen=settings.webhook_listen,
        port=settings.webhook_port or DEFAULT_WEBHOOK_PORT,
        health_check=database_answers,
    )
    await server.start()
    await application.bot.set_webhook(
        settings.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
    )
    return server


async def _warm_up(*, places: bool) -> None:
    """Load what the first answers need, then take it out of the garbage collector's sight.

    What is loaded by now (modules, cards, the city index) lives as long as the process;
    frozen, a full collection no longer walks it (one took 60-100 ms on a small machine,
    stalling every member's answer and every send in flight).
    """
    if places:
        await asyncio.to_thread(warm_up_places)
    gc.freeze()


@asynccontextmanager
async def running_bot(
    runtime: Runtime,
    *,
    token: str,
    base_url: str,
    poll_timeout: float = 10.0,
    mode: RunMode = "polling",
) -> AsyncIterator[NetcoachApplication]:
    """Start the application in `mode` until the block ends."""
    application = build_application(runtime, token=token, base_url=base_url)
    # Load the city index in the background now, so the first member who types a city
    # does not wait for it (once per process; a dispatch-only worker never needs it).
    warm_up = asyncio.create_task(_warm_up(places=mode != "dispatch"))
    webhook: WebhookServer | None = None
    async with application:
        if mode != "dispatch":
            await set_bot_commands(application)
        await application.start()
        assert application.updater is not None
        if mode == "polling":
            await application.updater.start_polling(
                timeout=int(poll_timeout), allowed_updates=Update.ALL_TYPES
            )
        elif mode == "webhook":
            webhook = await _start_webhook(application, runtime)
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            if webhook is not None:
                # The webhook stays registered: other processes behind the balancer serve it.
                await webhook.stop()
            await application.bot_data.dispatcher.stop()
            await application.stop()
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
