"""Running the application inside an event loop we own (polling), and stopping it cleanly."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from telegram import Update

from bot.app import NetcoachApplication, build_application
from bot.domain.places import warm_up_places
from bot.domain.runtime import Runtime
from handlers.registry import set_bot_commands

__all__ = ["running_bot", "serve_until_signal"]


@asynccontextmanager
async def running_bot(
    runtime: Runtime, *, token: str, base_url: str, poll_timeout: float = 10.0
) -> AsyncIterator[NetcoachApplication]:
    """Start the application and long-poll for updates until the block ends."""
    application = build_application(runtime, token=token, base_url=base_url)
    # Load the city index in the background now, so the first member who types a city
    # does not wait for it (once per process).
    warm_up = asyncio.create_task(asyncio.to_thread(warm_up_places))
    async with application:
        await set_bot_commands(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            timeout=int(poll_timeout), allowed_updates=Update.ALL_TYPES
        )
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            await application.bot_data.dispatcher.stop()
            await application.stop()
            await warm_up


async def serve_until_signal(runtime: Runtime, *, token: str, base_url: str) -> None:
    """Poll until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with running_bot(runtime, token=token, base_url=base_url):
        await stop.wait()
