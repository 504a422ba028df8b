"""The `netcoach` command: run the bot, chat with it locally, manage the database and content."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.settings import Settings, SettingsError, load_settings

__all__ = ["main"]

log = logging.getLogger("netcoach")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netcoach", description="A Telegram bot that coaches networking as relationship work."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "run", help="start the bot (polls Telegram; without NETCOACH_BOT_TOKEN: the local demo)"
    )
    chat = commands.add_parser("chat", help="chat with the bot in this terminal (local simulator)")
    chat.add_argument("--db", help="SQLite file to use (default: a temporary one)")
    chat.add_argument(
        "--language", choices=("de", "en"), default=None, help="your Telegram language"
    )
    chat.add_argument("--name", default="Alex", help="your first name in the demo")
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations")
    content = commands.add_parser("content", help="curriculum cards and message catalogs")
    content_commands = content.add_subparsers(dest="content_command", required=True)
    content_commands.add_parser("check", help="validate cards and catalogs, list every problem")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of `python -m bot`."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"netcoach: {exc}", file=sys.stderr)
        return 2
    if args.command == "content":
        return _content_check()
    if args.command == "db":
        return _db_upgrade(settings)
    if args.command == "chat":
        database_url = f"sqlite+aiosqlite:///{Path(args.db).resolve()}" if args.db else None
        return _chat(settings, database_url, args.language, args.name)
    return _run(settings)


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


def _db_upgrade(settings: Settings) -> int:
    from storage.migrate import upgrade_database

    asyncio.run(upgrade_database(settings.database_url))
    print("database is up to date")
    return 0


def _chat(settings: Settings, database_url: str | None, language: str | None, name: str) -> int:
    """The terminal demo; `database_url` None means a throw-away SQLite file."""
    from bot.demo import run_demo
    from bot.logs import configure_logging

    # Only warnings, so the conversation stays readable.
    configure_logging(logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_demo(settings, database_url=database_url, language=language, name=name))
    return 0


def _run(settings: Settings) -> int:
    if settings.bot_token is None:
        print("No NETCOACH_BOT_TOKEN set: starting the local demo (netcoach chat).")
        return _chat(settings, settings.database_url, None, "Alex")
    from bot.logs import configure_logging
    from bot.runner import serve_until_signal
    from bot.wiring import open_runtime

    configure_logging()

    async def serve() -> None:
        assert settings.bot_token is not None
        async with open_runtime(settings) as runtime:
            await serve_until_signal(
                runtime, token=settings.bot_token.get_secret_value(), base_url=settings.api_base_url
            )

    asyncio.run(serve())
    return 0
