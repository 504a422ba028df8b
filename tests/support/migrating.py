"""`python -m tests.support.migrating URL START_AT`: one process upgrading a database.

Used to start several upgrades at one moment (`START_AT`, a `time.time()` value). Each
migration run here takes a little longer than the time SQLite lets a writer wait for
the lock (shortened for the test from `SQLITE_BUSY_TIMEOUT_MS`), as a real migration of
a big table would; alembic's "Running upgrade" lines on stderr show which process
actually migrated.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import Any

from alembic import command

from storage import engine
from storage.migrate import upgrade_database

__all__ = ["BUSY_TIMEOUT_MS", "MIGRATION_SECONDS"]

BUSY_TIMEOUT_MS = 300
MIGRATION_SECONDS = 1.0


def _slow(upgrade: Any) -> Any:
    def slow_upgrade(*args: Any, **kwargs: Any) -> None:
        # Inside the migrating transaction, before alembic looks at the version.
        time.sleep(MIGRATION_SECONDS)
        upgrade(*args, **kwargs)

    return slow_upgrade


def main(url: str, start_at: float) -> None:
    """Wait for `start_at`, then upgrade `url` to head, logging what alembic runs."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
    engine.SQLITE_BUSY_TIMEOUT_MS = BUSY_TIMEOUT_MS  # type: ignore[misc]
    command.upgrade = _slow(command.upgrade)
    time.sleep(max(0.0, start_at - time.time()))
    asyncio.run(upgrade_database(url))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
