"""Logging set-up that never writes the bot token (it is part of every request URL)."""

from __future__ import annotations

import logging
import re

__all__ = ["RedactTokens", "configure_logging"]

# Bot API URLs look like .../bot123456:AA-bcd_ef/sendMessage.
_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{2,}")


class RedactTokens(logging.Filter):
    """Replace anything shaped like a bot token in a record with `<token>`."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message in place; never drop a record."""
        message = record.getMessage()
        redacted = _TOKEN.sub("<token>", message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


def configure_logging(level: int = logging.INFO, *, filename: str | None = None) -> None:
    """Log to stderr (or a file), with tokens redacted and chatty HTTP loggers quietened."""
    handler: logging.Handler = (
        logging.FileHandler(filename, encoding="utf-8") if filename else logging.StreamHandler()
    )
    handler.addFilter(RedactTokens())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; the URL holds the token.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
