"""Counting what the database is asked: every SQL statement a block of code runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.domain.runtime import Runtime

__all__ = ["statements_run"]


@contextmanager
def statements_run(runtime: Runtime) -> Iterator[list[str]]:
    """Every SQL statement the process runs while the block is open."""
    seen: list[str] = []
    engine = runtime.sessions.kw["bind"].sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
