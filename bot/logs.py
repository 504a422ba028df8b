"""Logging that keeps members' words and the bot token out of every log line and traceback.

Three safeguards, installed by `protect_logs()` when the application is built:

- every record is scrubbed of the bot token (anything shaped like one, and the
  configured token literally) when it is created: the token is part of every Bot API
  URL, and python-telegram-bot repeats a rejected token in its error;
- exceptions are written without their messages unless the message is known to hold
  no member's words (`exception_message`): a database driver quotes the row it refused
  (PostgreSQL: "Key (name)=(…) already exists", "Failing row contains (…)"; asyncpg:
  "invalid input for query argument $1: '…'"), and `int()`, `zoneinfo` and most
  libraries quote the input they could not read. A record's traceback is formatted
  that way once, when the record is made, so every handler (also ones an operator
  adds) writes the scrubbed one; exceptions passed as arguments are replaced likewise;
- the libraries that log request payloads or SQL parameters at debug level
  (python-telegram-bot, httpx, SQLAlchemy, aiosqlite) are held above that level
  whatever the root level is.

`configure_logging` writes plain text or JSON lines with the same scrubbed tracebacks.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

from sqlalchemy.exc import StatementError

__all__ = [
    "QUIET_LOGGERS",
    "JsonFormatter",
    "LogFormat",
    "TextFormatter",
    "configure_logging",
    "exception_message",
    "format_traceback",
    "protect_logs",
    "redact",
    "without_quotes",
]

LogFormat = Literal["text", "json"]
_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]

# Bot API URLs look like .../bot123456:AA-bcd_ef/sendMessage.
_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{2,}")
# Shorter configured secrets are not replaced literally: they would blank ordinary words.
_SHORTEST_SECRET = 6
_secrets: set[str] = set()

# Loggers that would write message texts, callback data or SQL parameters below these levels.
QUIET_LOGGERS = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    "aiosqlite": logging.WARNING,
    "hpack": logging.WARNING,
}

# Exceptions from these packages keep their messages: ours never carry a member's words
# (a rule of the code base), the transport's speak of hosts and URLs (token redacted).
_OWN_PACKAGES = ("bot", "handlers", "storage", "content")
_TRANSPORT_PACKAGES = ("telegram", "httpx", "httpcore", "aiohttp", "anyio", "h11", "ssl")
# Database drivers (and SQLAlchemy's adapters of them) describe the row they refused:
# only their type and code are kept.
_DRIVER_MODULES = (
    "asyncpg",
    "sqlite3",
    "aiosqlite",
    "psycopg",
    "psycopg2",
    "sqlalchemy.dialects",
    "sqlalchemy.connectors",
)
_WITHHELD = "(message left out: it may hold what a member typed)"
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'|`[^`]*`")

_installed = False


def redact(text: str) -> str:
    """Replace the configured token and anything shaped like a bot token with `<token>`."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "<token>")
    return _TOKEN.sub("<token>", text)


def without_quotes(text: str) -> str:
    """`text` with every quoted part replaced by `…` (Telegram quotes what it refused)."""
    return _QUOTED.sub("…", text)


def _package(kind: type[BaseException]) -> str:
    return kind.__module__.split(".", 1)[0]


def _database_summary(problem: BaseException) -> str:
    """Type-free summary of a database error: its code and, if any, our statement."""
    driver = getattr(problem, "orig", None) or problem
    code = (
        getattr(driver, "sqlstate", None)
        or getattr(driver, "pgcode", None)
        or getattr(driver, "sqlite_errorname", None)
    )
    parts = []
    if code:
        label = "SQLSTATE " if getattr(driver, "sqlstate", None) else ""
        parts.append(f"[{label}{code}]")
    parts.append("(the driver's message is left out: it may quote stored values)")
    if isinstance(problem, StatementError) and problem.statement:
        # Our own SQL with placeholders (values are never inlined): it points at the bug.
        parts.append(f"[SQL: {problem.statement}]")
    return " ".join(parts)


def _keeps_message(problem: BaseException) -> bool:
    package = _package(type(problem))
    return (
        package in _OWN_PACKAGES
        or package in _TRANSPORT_PACKAGES
        or isinstance(problem, OSError | KeyboardInterrupt | SystemExit)
    )


def _is_database_error(problem: BaseException) -> bool:
    module = type(problem).__module__
    return isinstance(problem, StatementError) or any(
        module == name or module.startswith(f"{name}.") for name in _DRIVER_MODULES
    )


def exception_message(problem: BaseException) -> str:
    """What may be logged of an exception's message (without its type).

    Our own exceptions and network errors keep their messages (the token redacted;
    Telegram's without quoted parts); database errors keep their code and statement;
    everything else is left out, since it may quote a member's input.
    """
    if _is_database_error(problem):
        return _database_summary(problem)
    try:
        message = str(problem)
    except Exception:  # a broken __str__ must not break logging
        message = "(message could not be read)"
    if not _keeps_message(problem):
        return _WITHHELD if message else ""
    if isinstance(problem, OSError) and (problem.filename or problem.filename2):
        # A file name may be built from input (zoneinfo opens the zone a member typed).
        message = f"[Errno {problem.errno}] {problem.strerror} (file name left out)"
    if _package(type(problem)) == "telegram":
        message = without_quotes(message)
    return redact(message)


def format_traceback(
    problem: BaseException, kind: type[BaseException] | None = None, tb: TracebackType | None = None
) -> str:
    """The traceback of `problem` and its causes, each message as `exception_message` allows."""
    kind = kind or type(problem)
    tb = tb if tb is not None else problem.__traceback__
    root = traceback.TracebackException(kind, problem, tb)
    if not hasattr(root, "_str"):  # a Python that keeps the message elsewhere: no chain
        frames = "".join(traceback.format_tb(tb))
        line = f"{kind.__module__}.{kind.__qualname__}: {exception_message(problem)}"
        return redact(f"Traceback (most recent call last):\n{frames}{line}")
    pending: list[tuple[traceback.TracebackException, BaseException]] = [(root, problem)]
    seen: set[int] = set()
    while pending:
        shown, actual = pending.pop()
        if id(shown) in seen:
            continue
        seen.add(id(shown))
        # TracebackException keeps the message it will print here (CPython 3.11-3.14).
        shown._str = exception_message(actual)  # type: ignore[attr-defined]
        if not _keeps_message(actual):
            shown.__notes__ = None
        if shown.__cause__ is not None and actual.__cause__ is not None:
            pending.append((shown.__cause__, actual.__cause__))
        if shown.__context__ is not None and actual.__context__ is not None:
            pending.append((shown.__context__, actual.__context__))
        if shown.exceptions and isinstance(actual, BaseExceptionGroup):
            pending.extend(zip(shown.exceptions, actual.exceptions, strict=False))
    return redact("".join(root.format())).rstrip("\n")


def protect_logs(*secrets: str) -> None:
    """Install the scrubber and the level floors (once per process); redact `secrets` too."""
    global _installed
    _secrets.update(secret for secret in secrets if len(secret) >= _SHORTEST_SECRET)
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
        if isinstance(record.args, tuple) and any(
            isinstance(arg, BaseException) for arg in record.args
        ):
            record.args = tuple(
                exception_message(arg) if isinstance(arg, BaseException) else arg
                for arg in record.args
            )
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            kind, problem, tb = record.exc_info
            record.exc_text = format_traceback(problem, kind, tb)
        return record

    logging.setLogRecordFactory(scrubbed_record)


class TextFormatter(logging.Formatter):
    """`time level logger: message`, with tracebacks scrubbed like messages."""

    def __init__(self, fmt: str = "%(asctime)s %(levelname)s %(name)s: %(message)s") -> None:
        super().__init__(fmt)

    def format(self, record: logging.LogRecord) -> str:
        """The record, with its traceback scrubbed here (never another handler's cached one)."""
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.formatException(record.exc_info)
        return super().format(record)

    def formatException(self, ei: _ExcInfo) -> str:
        """The traceback, scrubbed (`format_traceback`)."""
        kind, problem, tb = ei
        if problem is None:
            return ""
        return format_traceback(problem, kind, tb)

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
