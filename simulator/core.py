"""The simulator's shared parts, handed to every Bot API method implementation."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.faults import FaultInjector
from simulator.limits import RateLimiter
from simulator.messages import SimMessage
from simulator.recording import RecordedRequest, RequestHook
from simulator.state import ChatState, SimulatorState
from simulator.stats import SimulatorStats
from simulator.updates import UpdateQueue
from simulator.webhook import WebhookSender

__all__ = ["SimulatorCore"]


@dataclass(slots=True)
class SimulatorCore:
    """State, update queue, limits, faults, stats and the request log in one place."""

    token: str
    state: SimulatorState
    updates: UpdateQueue
    limiter: RateLimiter
    stats: SimulatorStats
    faults: FaultInjector
    webhook: WebhookSender
    clock: Callable[[], float] = time.monotonic
    record: bool = True
    requests: list[RecordedRequest] = field(default_factory=list)
    hooks: list[RequestHook] = field(default_factory=list)

    @staticmethod
    def date() -> int:
        """Current Unix time, as Telegram puts in message dates."""
        return int(time.time())

    def push_update(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Queue an update; None when allowed_updates filters it out."""
        update_id = self.updates.push(kind, payload)
        if update_id is not None:
            self.stats.updates_created += 1
        return update_id

    def new_message(
        self,
        chat: ChatState,
        sender: dict[str, Any],
        *,
        paid: bool = False,
        admitted_at: float | None = None,
        **fields: Any,
    ) -> SimMessage:
        """Create and store a message in chat; bot messages are counted as deliveries.

        `paid`: the bot sent it as a paid broadcast (counted apart); `admitted_at`: when
        the flood limits let it in (its moment in the peaks; now if not given).
        """
        from_bot = sender is self.state.bot_user
        message = SimMessage(
            message_id=chat.take_message_id(),
            chat=chat.info,
            sender=sender,
            date=self.date(),
            from_bot=from_bot,
            **fields,
        )
        chat.add_message(message)
        if from_bot:
            moment = self.clock() if admitted_at is None else admitted_at
            self.stats.count_delivery(chat.id, moment, paid=paid)
        return message
