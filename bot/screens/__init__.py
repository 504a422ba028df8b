"""What the bot shows, as plain data: text plus buttons, built from the message catalogs.

Screens know nothing of Telegram's types; `bot.telegram_out` turns them into
requests. Handlers and the dispatcher both render through here, so a prompt
looks the same whichever path sent it.
"""

from bot.screens.base import Button, ReplyButton, Screen

__all__ = ["Button", "ReplyButton", "Screen"]
