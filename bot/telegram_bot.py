"""The bot object: python-telegram-bot's `ExtBot`, with polling that a refused call cannot stop.

python-telegram-bot deletes any webhook before it starts polling, and gives up on polling
when that call fails (a 404 from a Bot API server that does not know the method even
reads as a rejected token). Polling needs no such call when no webhook is set, and with
one set `getUpdates` answers 409 Conflict, which polling logs and retries; so a refusal
here is logged once and polling starts anyway.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import TelegramError
from telegram.ext import ExtBot

__all__ = ["NetcoachBot"]

log = logging.getLogger("netcoach")


class NetcoachBot(ExtBot[Any]):
    """`ExtBot` whose `delete_webhook` reports a refusal instead of raising it."""

    __slots__ = ()

    async def delete_webhook(self, *args: Any, **kwargs: Any) -> bool:
        """Delete the webhook; False (and a warning) when the Bot API refuses."""
        try:
            return await super().delete_webhook(*args, **kwargs)
        except TelegramError as problem:
            # The Bot API's description only: never a token, never a member's text.
            log.warning(
                "the Bot API refused deleteWebhook (%s: %s); polling anyway (if a webhook "
                "is still set, getUpdates is refused with 409 Conflict until it is deleted)",
                type(problem).__name__,
                problem.message,
            )
            return False
