"""Assembling the python-telegram-bot `Application` with netcoach's handlers and runtime."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

import httpx
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, Defaults
from telegram.request import HTTPXRequest

from bot.chart_drawer import ChartDrawer
from bot.dispatcher import Dispatcher
from bot.domain.drafts import expire_drafts
from bot.domain.privacy import apply_retention
from bot.domain.runtime import Runtime
from bot.domain.undo import forget_old_taps
from bot.health import HealthMonitor
from bot.logs import protect_logs
from bot.metrics import Metrics
from bot.pacing import CHAT_GAP_SECONDS, paced_for
from bot.rate_limit import PacedRateLimiter
from bot.telegram_bot import NetcoachBot
from bot.update_order import PerChatUpdateProcessor
from handlers import register_handlers
from handlers.context import CONTEXT_TYPES, BotData, Context, NetcoachApplication
from storage.unreadable import listen_for_unreadable

__all__ = ["DRAFTS_INTERVAL", "RETENTION_INTERVAL", "NetcoachApplication", "build_application"]

RETENTION_INTERVAL = timedelta(days=1)
DRAFTS_INTERVAL = timedelta(hours=1)
log = logging.getLogger("netcoach")


def build_application(
    runtime: Runtime, *, token: str, base_url: str, chat_gap: float = CHAT_GAP_SECONDS
) -> NetcoachApplication:
    """Build the application with every handler registered and the runtime attached.

    `chat_gap` is the pace the bot keeps in one chat: Telegram's, unless the Bot API is a
    simulator that holds chats to no pace (tests whose story is not the pace).
    """
    protect_logs(token)
    pacer = paced_for(runtime.settings, chat_gap=chat_gap)
    # The application's own registry: two bots in one process never share a count.
    metrics = Metrics()
    tls = httpx.create_ssl_context()
    bot = NetcoachBot(
        token,
        base_url=base_url,
        defaults=Defaults(
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
        # One pacer for everything the bot sends: replies and scheduled sends share
        # Telegram's ceiling, and a 429 pauses both.
        rate_limiter=PacedRateLimiter(pacer, metrics=metrics),
        # The connection pools `Application.builder()` gives a bot it builds itself,
        # sharing one TLS context: loading the CA bundle took ~35 ms of start-up each time.
        request=HTTPXRequest(connection_pool_size=256, httpx_kwargs={"verify": tls}),
        get_updates_request=HTTPXRequest(connection_pool_size=1, httpx_kwargs={"verify": tls}),
    )
    builder = (
        Application.builder()
        .bot(bot)
        .context_types(CONTEXT_TYPES)
        # Members' updates at once (database waits overlap, reads are shared), each
        # member's in order.
        .concurrent_updates(PerChatUpdateProcessor(metrics=metrics))
    )
    # The builder's inferred generics are looser than ours; the context types fix them.
    application = cast(NetcoachApplication, builder.build())
    bot_data: BotData = application.bot_data
    bot_data.runtime = runtime
    bot_data.dispatcher = dispatcher = Dispatcher(
        runtime, application.bot, pacer=pacer, metrics=metrics
    )
    bot_data.metrics = metrics
    listen_for_unreadable(runtime.sessions, metrics.count_unreadable)
    # Refreshed only where something serves /healthz (see bot.runner).
    bot_data.health = HealthMonitor(runtime, dispatcher, metrics)
    # Pictures are drawn in a thread of their own, one at a time (see bot.chart_drawer).
    bot_data.charts = ChartDrawer()
    register_handlers(application)
    assert application.job_queue is not None
    # The dispatcher ticks on its own (`Dispatcher.start_ticking`, monotonic time): every
    # due thing is found in the database, not in jobs.
    application.job_queue.run_repeating(
        _expire_drafts, interval=DRAFTS_INTERVAL, first=30, name="drafts"
    )
    if runtime.settings.retention_days is not None:
        application.job_queue.run_repeating(
            _apply_retention, interval=RETENTION_INTERVAL, first=60, name="retention"
        )
    return application


async def _apply_retention(context: Context) -> None:
    """Daily: delete what is past the retention period (`bot.domain.privacy.apply_retention`)."""
    deleted = await apply_retention(context.bot_data.runtime)
    log.info("retention: deleted %s", deleted)


async def _expire_drafts(context: Context) -> None:
    """Hourly: drop drafts untouched for NETCOACH_DRAFT_DAYS, and taps too old to undo."""
    expired = await expire_drafts(context.bot_data.runtime)
    if expired:
        log.info("drafts: %d expired", expired)
    await forget_old_taps(context.bot_data.runtime)
