"""`netcoach keys generate` and `netcoach keys rotate`: the operator's side of encryption.

Keys never travel on the command line (where `ps` and shell history would show them):
`rotate` reads NETCOACH_ENCRYPTION_KEY (the key to write with) and
NETCOACH_ENCRYPTION_OLD_KEYS (keys texts may still be under) like the bot does.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.settings import Settings
from bot.wiring import key_ring
from storage.crypto import generate_key
from storage.engine import create_engine, create_session_factory
from storage.keyring import RotationResult, rotate_keys
from storage.migrate import upgrade_database
from storage.reachability import check_database

__all__ = ["generate", "rotate"]


def generate(out: TextIO | None = None) -> int:
    """Print a new key for NETCOACH_ENCRYPTION_KEY."""
    print(generate_key(), file=out or sys.stdout)
    return 0


def rotate(settings: Settings, *, batch_size: int = 500, out: TextIO | None = None) -> int:
    """Re-encrypt every stored text under NETCOACH_ENCRYPTION_KEY, bound to its row.

    Reads with NETCOACH_ENCRYPTION_OLD_KEYS too; plain text (stored before any key) is
    encrypted as well. Safe to interrupt and run again: rows already done are skipped.
    Exit status 1 when some texts could not be read (they are listed, never shown).

    Raises:
        DatabaseUnavailable: the database cannot be used (`netcoach` says so in one line).
    """
    out = out or sys.stderr
    ring = key_ring(settings)
    if ring is None:
        print(
            "netcoach: NETCOACH_ENCRYPTION_KEY: not set; `keys rotate` encrypts with it "
            "(create one with `netcoach keys generate`)",
            file=out,
        )
        return 2

    def progress(table: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        print(f"\r{table:<20} [{bar}] {done}/{total}", end=end, file=out, flush=True)

    async def run() -> RotationResult:
        await check_database(settings.database_url)
        await upgrade_database(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            return await rotate_keys(
                create_session_factory(engine), ring=ring, batch_size=batch_size, progress=progress
            )
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    print(
        f"re-encrypted {result.changed} value(s) under key {ring.primary_key_id}",
        file=out,
    )
    if result.merged:
        print(f"merged {result.merged} contact(s) that had been stored twice", file=out)
    if result.unreadable:
        where = ", ".join(
            f"{report.table}.{report.column} row {report.row} (key {report.key_id or 'none'}: "
            f"{report.reason})"
            for report in result.unreadable[:20]
        )
        more = len(result.unreadable) - 20
        print(
            f"netcoach: {len(result.unreadable)} value(s) could not be read and were left as "
            f"they are: {where}{f' and {more} more' if more > 0 else ''}; keep their keys in "
            "NETCOACH_ENCRYPTION_OLD_KEYS, or accept them as lost",
            file=out,
        )
        return 1
    if len(ring.key_ids) > 1:
        print(
            "nothing is left under the old keys. Once the bot runs with this "
            "NETCOACH_ENCRYPTION_KEY, run `netcoach keys rotate` once more: when it re-encrypts "
            "0 values, NETCOACH_ENCRYPTION_OLD_KEYS may go",
            file=out,
        )
    return 0
