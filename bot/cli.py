"""The `netcoach` command: run the bot, chat with it locally, manage the database and content."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from bot import __version__
from bot.settings import Settings, SettingsError, load_settings

__all__ = ["main"]

log = logging.getLogger("netcoach")

_ROTATION_STEPS = """\
Rotating to a new key, with no downtime and no order to get wrong:
  1. netcoach keys generate                      -> the new key
  2. NETCOACH_ENCRYPTION_KEY=<new key>            (new texts are written with it)
     NETCOACH_ENCRYPTION_OLD_KEYS=<old key>       (still read; comma-separate several)
     in the bot's environment, then restart the bot (it reads with every key)
  3. netcoach keys rotate                          (same environment; resumable)
  4. once the bot runs with the new key, run it again: when it re-encrypts 0
     values, drop NETCOACH_ENCRYPTION_OLD_KEYS
The first key for a database that holds plain text: steps 1-3 without old keys."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netcoach", description="A Telegram bot that coaches networking as relationship work."
    )
    parser.add_argument("--version", action="version", version=f"netcoach {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="start the bot (polls Telegram; without NETCOACH_BOT_TOKEN: the local demo)"
    )
    run.add_argument(
        "--dispatch-only",
        action="store_true",
        help="only send due prompts (no polling, no webhook): an extra worker on PostgreSQL",
    )
    chat = commands.add_parser("chat", help="chat with the bot in this terminal (local simulator)")
    chat.add_argument(
        "--db", help="SQLite file of the demo's own (default: a temporary one; never real data)"
    )
    chat.add_argument(
        "--language", choices=("de", "en"), default=None, help="your Telegram language"
    )
    chat.add_argument("--name", default="Alex", help="your first name in the demo")
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations")
    keys = commands.add_parser(
        "keys",
        help="encryption keys for members' texts at rest",
        description="Keys come from the environment (never the command line, where ps shows "
        "them): NETCOACH_ENCRYPTION_KEY writes, NETCOACH_ENCRYPTION_OLD_KEYS are only read.",
    )
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    key_commands.add_parser("generate", help="print a new key for NETCOACH_ENCRYPTION_KEY")
    rotate = key_commands.add_parser(
        "rotate",
        help="re-encrypt every stored text under NETCOACH_ENCRYPTION_KEY (resumable; "
        "reads NETCOACH_ENCRYPTION_OLD_KEYS too)",
        description="Re-encrypt every stored text under NETCOACH_ENCRYPTION_KEY, bound to its\n"
        "row and member, reading with NETCOACH_ENCRYPTION_OLD_KEYS as well. The bot may\n"
        "keep running. Safe to interrupt and run again.",
        epilog=_ROTATION_STEPS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
    # Keys on the command line show in `ps` and shell history: refused with a pointer.
    rotate.add_argument("--old", help=argparse.SUPPRESS)
    rotate.add_argument("--new", help=argparse.SUPPRESS)
    content = commands.add_parser("content", help="curriculum cards and message catalogs")
    content_commands = content.add_subparsers(dest="content_command", required=True)
    content_commands.add_parser("check", help="validate cards and catalogs, list every problem")
    report = commands.add_parser(
        "report", help="write an HTML page with the network's weekly aggregates"
    )
    report.add_argument("--out", default="report.html", help="where to write the page")
    report.add_argument("--language", choices=("de", "en"), default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of `python -m bot`.

    What an operator can fix stops the program in one line per problem, naming the
    variable, with exit code 2: bad settings, a database that cannot be used, a token
    the Bot API refuses, a port that is taken.
    """
    args = _parser().parse_args(argv)
    sys.excepthook = _unexpected_error
    try:
        settings = load_settings()
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"netcoach: {problem}", file=sys.stderr)
        return 2
    from storage.migrate import BrokenLinksError
    from storage.reachability import DatabaseUnavailable

    try:
        return _command(args, settings)
    except DatabaseUnavailable as problem:
        print(f"netcoach: NETCOACH_DATABASE_URL: {problem}", file=sys.stderr)
        return 2
    except BrokenLinksError as problem:
        print(f"netcoach: NETCOACH_DATABASE_URL: upgrade refused: {problem}", file=sys.stderr)
        return 2


def _unexpected_error(
    kind: type[BaseException], problem: BaseException, tb: TracebackType | None
) -> None:
    """A crash nobody foresaw: its traceback scrubbed like a log line's, then one line."""
    from bot.logs import format_traceback

    print(format_traceback(problem, kind, tb), file=sys.stderr)
    print(
        f"netcoach: unexpected error ({kind.__name__}); the lines above say where "
        "(no member's words or tokens are in them)",
        file=sys.stderr,
    )


def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "report":
        return _report(settings, Path(args.out), args.language or settings.default_language)
    if args.command == "content":
        return _content_check()
    if args.command == "keys":
        from bot import keys_cli

        if args.keys_command == "generate":
            return keys_cli.generate()
        if args.old is not None or args.new is not None:
            print(
                "netcoach: keys rotate: keys on the command line show in ps and shell history; "
                "set NETCOACH_ENCRYPTION_KEY (new) and NETCOACH_ENCRYPTION_OLD_KEYS (old) instead",
                file=sys.stderr,
            )
            return 2
        return keys_cli.rotate(settings, batch_size=args.batch_size)
    if args.command == "db":
        return _db_upgrade(settings)
    if args.command == "chat":
        database_url = f"sqlite+aiosqlite:///{Path(args.db).resolve()}" if args.db else None
        return _chat(settings, database_url, args.language, args.name)
    return _run(settings, dispatch_only=args.dispatch_only)


def _content_check() -> int:
    from content.cards import check_cards
    from content.i18n import check_catalogs

    problems = check_cards() + check_catalogs()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print("cards and catalogs are fine")
    return 0


def _report(settings: Settings, out: Path, language: str) -> int:
    from bot.report import write_report
    from bot.wiring import open_runtime
    from storage.reachability import check_database

    async def write() -> None:
        await check_database(settings.database_url)
        async with open_runtime(settings, warn_without_key=False) as runtime:
            await write_report(runtime, out, language)

    try:
        asyncio.run(write())
    except SettingsError as exc:  # the keys read none of the stored texts
        print(f"netcoach: {exc}", file=sys.stderr)
        return 2
    print(f"report written to {out}")
    return 0


def _db_upgrade(settings: Settings) -> int:
    from storage.migrate import upgrade_database
    from storage.reachability import check_database

    async def upgrade() -> None:
        await check_database(settings.database_url)
        await upgrade_database(settings.database_url)

    asyncio.run(upgrade())
    print("database is up to date")
    return 0


def _chat(settings: Settings, database_url: str | None, language: str | None, name: str) -> int:
    """The terminal demo; `database_url` None means a throw-away SQLite file."""
    from bot.demo import DemoRefused, run_demo
    from bot.logs import configure_logging

    # Only warnings, so the conversation stays readable.
    configure_logging(logging.WARNING)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_demo(settings, database_url=database_url, language=language, name=name))
    except DemoRefused as refused:
        print(f"netcoach: {refused}", file=sys.stderr)
        return 2
    return 0


def _run(settings: Settings, *, dispatch_only: bool = False) -> int:
    if settings.bot_token is None:
        if dispatch_only:
            print("netcoach: NETCOACH_BOT_TOKEN: a dispatch-only worker needs it", file=sys.stderr)
            return 2
        if settings.database_url != Settings.model_fields["database_url"].default:
            # A database of the operator's holds real members, and they deserve a bot with
            # a token, not a refusal later. (The demo itself never opens it: it runs on a
            # throw-away file of its own, so the default URL, as in a copied .env.example,
            # still starts it.)
            print(
                "netcoach: NETCOACH_BOT_TOKEN: not set, and the bot needs it to serve the members "
                "of NETCOACH_DATABASE_URL (the local demo runs on a database of its own: "
                "`netcoach chat`)",
                file=sys.stderr,
            )
            return 2
        print(
            "No NETCOACH_BOT_TOKEN set: starting the local demo on a throw-away database "
            "(netcoach chat)."
        )
        return _chat(settings, None, None, "Alex")
    if settings.webhook_url and settings.webhook_secret is None and not dispatch_only:
        print(
            "netcoach: NETCOACH_WEBHOOK_SECRET: webhook mode needs a secret "
            "(32-256 characters of A-Z, a-z, 0-9, _ and -)",
            file=sys.stderr,
        )
        return 2
    # The imports allocate much and free almost nothing: collecting during them only
    # costs start-up time (~8 %). Once serving, bot.runner freezes all of it anyway.
    gc.disable()
    try:
        from bot.logs import configure_logging
        from bot.runner import DEFAULT_WEBHOOK_PORT, RunMode, StartUpRefused, serve_until_signal
        from bot.wiring import open_runtime
        from storage.reachability import check_database
    finally:
        gc.enable()

    mode: RunMode = "webhook" if settings.webhook_url else "polling"
    if dispatch_only:
        mode = "dispatch"
    webhook_port = settings.webhook_port or DEFAULT_WEBHOOK_PORT
    if mode == "webhook" and settings.health_port == webhook_port:
        print(
            f"netcoach: NETCOACH_HEALTH_PORT: the webhook listens on {webhook_port}; "
            "use another port (the webhook answers /healthz itself)",
            file=sys.stderr,
        )
        return 2
    configure_logging(log_format=settings.log_format)

    async def serve() -> None:
        assert settings.bot_token is not None
        await check_database(settings.database_url)
        async with open_runtime(settings) as runtime:
            await serve_until_signal(
                runtime,
                token=settings.bot_token.get_secret_value(),
                base_url=settings.api_base_url,
                mode=mode,
            )

    try:
        asyncio.run(serve())
    except StartUpRefused as refused:
        print(f"netcoach: {refused}", file=sys.stderr)
        return 2
    except SettingsError as exc:  # the keys read none of the stored texts
        print(f"netcoach: {exc}", file=sys.stderr)
        return 2
    return 0
