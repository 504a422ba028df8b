"""Running the application inside an event loop we own, and stopping it cleanly.

Three modes share one `Application` assembly (handlers, dispatcher, the repeating
tick): `polling` long-polls Telegram, `webhook` serves Telegram's POSTs through
`bot.webhook`, and `dispatch` receives no updates at all and only runs the tick, so
extra processes on one PostgreSQL database can share the weekly dispatch.

With `NETCOACH_HEALTH_PORT` every mode also serves /healthz and /metrics
(`bot.health_server`). aiohttp's server is imported only when a port is served, so a
polling bot without one never loads it.

Once the bot serves, the calls that only dress it (the command menu) are made in the
background (`bot.dressing`): a Bot API server that refuses them never stops the bot.
What does stop start-up (a refused token, an unreachable Bot API, a port in use, a
refused webhook) is raised as `StartUpRefused`, naming the setting to fix.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.app import NetcoachApplication, build_application
from bot.ceiling_shares import CeilingKeeper, shares_the_database
from bot.domain.city_index import use_cache_dir
from bot.domain.places import prepare_places
from bot.domain.runtime import Runtime
from bot.dressing import FIRST_RETRY_SECONDS, Dresser
from bot.health import REFRESH_SECONDS
from bot.logs import redact
from bot.pacing import CHAT_GAP_SECONDS
from content.i18n import load_date_names
from handlers.registry import ALLOWED_UPDATES, DRESSING

if TYPE_CHECKING:
    from bot.health_server import HealthServer
    from bot.webhook import WebhookServer

__all__ = [
    "DEFAULT_WEBHOOK_PORT",
    "RunMode",
    "StartUpRefused",
    "running_bot",
    "serve_until_signal",
]

RunMode = Literal["polling", "webhook", "dispatch"]
DEFAULT_WEBHOOK_PORT = 8443
log = logging.getLogger("netcoach")


class StartUpRefused(Exception):
    """The bot cannot start; `setting` names the variable to fix, the message says how."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


def _listen_refused(setting: str, listen: str, port: int, problem: OSError) -> StartUpRefused:
    """Why a server could not bind, naming the port or the address setting."""
    if problem.errno == errno.EADDRNOTAVAIL:
        setting = setting.replace("_PORT", "_LISTEN")
        return StartUpRefused(setting, f"{listen} is not an address of this host")
    reason = "in use by another program" if problem.errno == errno.EADDRINUSE else problem.strerror
    return StartUpRefused(setting, f"cannot listen on {listen}:{port} ({reason})")


@asynccontextmanager
async def _initialized(application: NetcoachApplication, base_url: str) -> AsyncIterator[None]:
    """Initialise the application (the Bot API's getMe), naming the setting it refused."""
    try:
        await application.initialize()
    except InvalidToken:
        # python-telegram-bot's message and traceback carry the whole token: neither goes on.
        await application.shutdown()
        raise StartUpRefused(
            "NETCOACH_BOT_TOKEN", "Telegram refused the token (check it with @BotFather)"
        ) from None
    except NetworkError as problem:
        await application.shutdown()
        host = urlsplit(base_url).netloc
        raise StartUpRefused(
            "NETCOACH_API_BASE_URL",
            f"no good answer from the Bot API at {host} ({redact(problem.message)}): "
            "check the network and the URL",
        ) from None
    try:
        yield
    finally:
        await application.shutdown()


async def _start_webhook(application: NetcoachApplication, runtime: Runtime) -> WebhookServer:
    """Serve the webhook first, then tell Telegram where it is (so no POST finds it closed)."""
    from bot.webhook import WebhookServer, webhook_path

    settings = runtime.settings
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    port = settings.webhook_port or DEFAULT_WEBHOOK_PORT
    server = WebhookServer(
        application,
        secret=secret,
        path=webhook_path(settings.webhook_url),
        listen=settings.webhook_listen,
        port=port,
        health=application.bot_data.health,
        metrics=application.bot_data.metrics,
    )
    try:
        await server.start()
    except OSError as problem:
        await server.stop()
        raise _listen_refused(
            "NETCOACH_WEBHOOK_PORT", settings.webhook_listen, port, problem
        ) from None
    try:
        await application.bot.set_webhook(
            settings.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
        )
    except TelegramError as problem:
        await server.stop()
        # The Bot API's description says what it disliked (e.g. "bad webhook: ...").
        raise StartUpRefused(
            "NETCOACH_WEBHOOK_URL", f"the Bot API refused the webhook ({problem.message})"
        ) from None
    return server


async def _start_health_server(application: NetcoachApplication, port: int) -> HealthServer:
    """Serve /healthz and /metrics on `port`."""
    from bot.health_server import HealthServer

    bot_data = application.bot_data
    listen = bot_data.runtime.settings.health_listen
    server = HealthServer(bot_data.health, bot_data.metrics, listen=listen, port=port)
    try:
        await server.start()
    except OSError as problem:
        await server.stop()
        raise _listen_refused("NETCOACH_HEALTH_PORT", listen, port, problem) from None
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


def _ceiling_keeper(application: NetcoachApplication, runtime: Runtime) -> CeilingKeeper | None:
    """A keeper of this process's share of the ceilings, unless no other process can share them."""
    url = runtime.sessions.kw["bind"].url.render_as_string(hide_password=False)
    if not shares_the_database(url):
        return None
    return CeilingKeeper(application.bot_data.dispatcher.pacer, url)


@asynccontextmanager
async def running_bot(
    runtime: Runtime,
    *,
    token: str,
    base_url: str,
    poll_timeout: float = 10.0,
    mode: RunMode = "polling",
    dressing_first_retry: float = FIRST_RETRY_SECONDS,
    chat_gap: float = CHAT_GAP_SECONDS,
) -> AsyncIterator[NetcoachApplication]:
    """Start the application in `mode` until the block ends (with the health port if set).

    `chat_gap` is the pace kept in one chat (see `build_application`).

    Raises:
        StartUpRefused: the Bot API refused the token or cannot be reached, a port is
            taken, or the webhook was refused.
    """
    application = build_application(runtime, token=token, base_url=base_url, chat_gap=chat_gap)
    use_cache_dir(runtime.settings.cache_dir)
    warm_up: asyncio.Task[None] | None = None
    health_port = runtime.settings.health_port
    webhook: WebhookServer | None = None
    health_server: HealthServer | None = None
    dresser = Dresser(
        application, DRESSING if mode != "dispatch" else (), first_retry=dressing_first_retry
    )
    keeper = _ceiling_keeper(application, runtime)
    async with _initialized(application, base_url):
        if keeper is not None:
            await keeper.start()
        await application.start()
        assert application.updater is not None
        try:
            if health_port is not None or mode == "webhook":
                await _keep_health_fresh(application)
            if health_port is not None:
                health_server = await _start_health_server(application, health_port)
            if mode == "polling":
                await application.updater.start_polling(
                    timeout=int(poll_timeout), allowed_updates=ALLOWED_UPDATES
                )
            elif mode == "webhook":
                webhook = await _start_webhook(application, runtime)
            application.bot_data.dispatcher.start_ticking(runtime.settings.tick_seconds)
            # Serving now: what only dresses the bot cannot keep members waiting.
            dresser.start()
            # After the first poll, not before: it would only slow the start down. A
            # dispatch-only worker never answers a member.
            warm_up = asyncio.create_task(_warm_up(places=mode != "dispatch"))
            yield application
        finally:
            # Balancers and orchestrators hear it first, while the rest winds down.
            application.bot_data.health.mark_stopping()
            await dresser.stop()
            if application.updater.running:
                await application.updater.stop()
            if webhook is not None:
                # The webhook stays registered: other processes behind the balancer serve it.
                await webhook.stop()
            await application.bot_data.dispatcher.stop()
            await application.stop()
            if keeper is not None:
                await keeper.stop()
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
