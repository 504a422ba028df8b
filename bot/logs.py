"""Logging that keeps members' words and the bot token out of every log line.

Two safeguards, both installed by `protect_logs()` when the application is built:
every record is scrubbed of anything shaped like a bot token when it is created (the
token is part of every Bot API URL that httpx logs), and the libraries that log
request payloads or SQL parameters at debug level (python-telegram-bot, httpx,
SQLAlchemy, aiosqlite) are held above that level whatever the root level is.
"""

from __future__ import annotations

import logging
import re
from typing import Any

__all__ = ["QUIET_LOGGERS", "configure_logging", "protect_logs", "redact"]

# Bot API URLs look like .../bot123456:AA-bcd_ef/sendMessage.
_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{2,}")

# Loggers that would write message texts, callback data or SQL parameters below these levels.
QUIET_LOGGERS = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    "aiosqlite": logging.WARNING,
    "hpack": logging.WARNING,
}

_installed = False


def redact(text: str) -> str:
    """Replace anything shaped like a bot token with `<token>`."""
    return _TOKEN.sub("<token>", text)


def protect_logs() -> None:
    """Install the token scrubber and the level floors (once per process)."""
    global _installed
    for name, floor in QUIET_LOGGERS.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < floor:
            logger.setLevel(floor)
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def scrubbed_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return record

    logging.setLogRecordFactory(scrubbed_record)


def configure_logging(level: int = logging.INFO, *, filename: str | None = None) -> None:
    """Log to stderr (or a file) at `level`, protected as above."""
    handler: logging.Handler = (
        logging.FileHandler(filename, encoding="utf-8") if filename else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The repeating tick would otherwise log two lines every NETCOACH_TICK_SECONDS.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    protect_logs()
