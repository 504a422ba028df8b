"""Logging that keeps members' words and the bot token out of every log line.

Two safeguards, both installed by `protect_logs()` when the application is built:
every record is scrubbed of anything shaped like a bot token when it is created (the
token is part of every Bot API URL that httpx logs), and the libraries that log
request payloads or SQL parameters at debug level (python-telegram-bot, httpx,
SQLAlchemy, aiosqlite) are held above that level whatever the root level is. The
formatters of `configure_logging` (plain text or JSON lines) scrub the tracebacks they
write as well, since an exception's message can carry a request URL.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

__all__ = [
    "QUIET_LOGGERS",
    "JsonFormatter",
    "LogFormat",
    "TextFormatter",
    "configure_logging",
    "protect_logs",
    "redact",
]

LogFormat = Literal["text", "json"]
_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

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


class TextFormatter(logging.Formatter):
    """`time level logger: message`, with tracebacks scrubbed like messages."""

    def __init__(self, fmt: str = "%(asctime)s %(levelname)s %(name)s: %(message)s") -> None:
        super().__init__(fmt)

    def formatException(self, ei: _ExcInfo) -> str:
        """The traceback, scrubbed: an exception's message may hold a Bot API URL."""
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        """The stack, scrubbed like a traceback."""
        return redact(super().formatStack(stack_info))


class JsonFormatter(TextFormatter):
    """One JSON object per line: time (UTC), level, logger, message, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (newlines inside values are escaped)."""
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            # Scrubbed when the record was made; again here for records made before that.
            "message": redact(record.getMessage()),
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["traceback"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    level: int = logging.INFO, *, filename: str | None = None, log_format: LogFormat = "text"
) -> None:
    """Log to stderr (or a file) at `level` as text or JSON lines, protected as above."""
    handler: logging.Handler = (
        logging.FileHandler(filename, encoding="utf-8") if filename else logging.StreamHandler()
    )
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The repeating tick would otherwise log two lines every NETCOACH_TICK_SECONDS.
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    protect_logs()
