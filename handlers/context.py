"""Typed access to the runtime from a handler, and the member's identity from an update."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.chart_drawer import ChartDrawer
from bot.dispatcher import Dispatcher
from bot.domain.members import Identity
from bot.domain.runtime import Runtime
from bot.health import HealthMonitor
from bot.metrics import Metrics

__all__ = ["CONTEXT_TYPES", "BotData", "Context", "NetcoachApplication", "identity_of"]


class BotData:
    """Application-wide data: the runtime for domain calls, the dispatcher, metrics, health,
    and what draws pictures."""

    def __init__(self) -> None:
        self._runtime: Runtime | None = None
        self._dispatcher: Dispatcher | None = None
        self._metrics: Metrics | None = None
        self._health: HealthMonitor | None = None
        self._charts: ChartDrawer | None = None

    @property
    def runtime(self) -> Runtime:
        """The runtime; set once when the application is built."""
        if self._runtime is None:
            raise RuntimeError("the application was built without a runtime")
        return self._runtime

    @runtime.setter
    def runtime(self, value: Runtime) -> None:
        self._runtime = value

    @property
    def dispatcher(self) -> Dispatcher:
        """The dispatcher that sends prompts; set once when the application is built."""
        if self._dispatcher is None:
            raise RuntimeError("the application was built without a dispatcher")
        return self._dispatcher

    @dispatcher.setter
    def dispatcher(self, value: Dispatcher) -> None:
        self._dispatcher = value

    @property
    def metrics(self) -> Metrics:
        """The application's metrics (its own registry); set once when it is built."""
        if self._metrics is None:
            raise RuntimeError("the application was built without metrics")
        return self._metrics

    @metrics.setter
    def metrics(self, value: Metrics) -> None:
        self._metrics = value

    @property
    def health(self) -> HealthMonitor:
        """What /healthz answers from; set once when the application is built."""
        if self._health is None:
            raise RuntimeError("the application was built without a health monitor")
        return self._health

    @health.setter
    def health(self, value: HealthMonitor) -> None:
        self._health = value

    @property
    def charts(self) -> ChartDrawer:
        """What draws pictures (off the event loop); set once when the application is built."""
        if self._charts is None:
            raise RuntimeError("the application was built without a chart drawer")
        return self._charts

    @charts.setter
    def charts(self, value: ChartDrawer) -> None:
        self._charts = value


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)
NetcoachApplication = Application[
    ExtBot[None], Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Context]
]


def identity_of(update: Update) -> Identity:
    """Who sent the update (private chats: chat id equals user id)."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        raise ValueError("update without a user or chat")
    return Identity(telegram_id=user.id, chat_id=chat.id, language_code=user.language_code)
