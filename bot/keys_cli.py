"""`netcoach keys generate` and `netcoach keys rotate`: the operator's side of encryption."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.settings import Settings
from storage.crypto import FieldCipher, configure_cipher, generate_key
from storage.engine import create_engine, create_session_factory
from storage.keyring import rotate_keys
from storage.migrate import upgrade_database
from storage.reachability import check_database

__all__ = ["generate", "rotate"]


def generate(out: TextIO | None = None) -> int:
    """Print a new key for NETCOACH_ENCRYPTION_KEY."""
    print(generate_key(), file=out or sys.stdout)
    return 0


def rotate(
    settings: Settings,
    *,
    old: str | None,
    new: str,
    batch_size: int = 500,
    out: TextIO | None = None,
) -> int:
    """Re-encrypt every stored text under `new` (from `old`, or from plain text).

    Safe to interrupt and run again: rows already under the new key are skipped.

    Raises:
        DatabaseUnavailable: the database cannot be used (`netcoach` says so in one line).
    """
    out = out or sys.stderr
    try:
        new_cipher = FieldCipher.from_setting(new)
        old_cipher = FieldCipher.from_setting(old) if old else None
    except ValueError as exc:
        print(f"netcoach: {exc}", file=out)
        return 2

    def progress(table: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        print(f"\r{table:<14} [{bar}] {done}/{total}", end=end, file=out, flush=True)

    async def run() -> int:
        await check_database(settings.database_url)
        await upgrade_database(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            # Reading needs both keys while rows are moved from one to the other.
            configure_cipher(new_cipher.accepting(old_cipher))
            return await rotate_keys(
                create_session_factory(engine),
                old=old_cipher,
                new=new_cipher,
                batch_size=batch_size,
                progress=progress,
            )
        finally:
            await engine.dispose()

    changed = asyncio.run(run())
    print(
        f"re-encrypted {changed} value(s); set NETCOACH_ENCRYPTION_KEY to the new key now",
        file=out,
    )
    return 0
