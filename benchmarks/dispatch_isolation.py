"""Benchmark: no member, row or chat holds up the dispatcher (issue 12, rows 1, 3, 4, 5).

    .venv/bin/python -m benchmarks.dispatch_isolation [row ...]

Each row runs the real Application against the simulator (in this process, Telegram's
limits on: 30 messages a second, about one a second per chat) on a new SQLite database,
with the bot's clock frozen and moved by hand where leases and pauses must pass.

- `busy` (row 1): a member with 500 commitments and 500 contacts due at one moment while
  200 other members' weekly prompts are due; another member sends `/commit` once a
  second meanwhile. How long until the 200 had their prompt (given up after 120 s), and
  how long each `/commit` waited for its answer.
- `backlog` (row 1): a member with 150 follow-ups due a second apart, the bot down for
  10 minutes (so all are due), then 40 other members' prompts due: how long until the 40
  had theirs (given up after 40 s), what the busy member got by then, and whether any
  row went out twice.
- `heldbacklog` (row 3): the same with 30 follow-ups, for a chat over a limit of its own
  (one message a minute, used up): 429s Telegram answered, that member's rows leased and
  waiting in flight when the 40 others were done.
- `chat429` (row 3): 150 members due, one of them a chat over a limit of its own (one
  message a minute, used up): how long until the other 149 had their prompt.
- `timeout` (row 4): one member; Telegram delivers every message but answers after 6 s
  (the bot waits 5): how many copies of the prompt reach the member over six leases.
- `outage` (row 5): five members due while Telegram answers 502 to every send for 90
  minutes (the bot's clock moved 5 minutes at a time): rows given up, requests made,
  and whether all arrive once Telegram is back. `clock`: ticks in the 3 s after the
  machine's clock (as the scheduler reads it) stepped back an hour.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Self

__all__ = ["main"]

START = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
GIVE_UP = 120.0


@asynccontextmanager
async def _runtime(directory: str, **settings: Any) -> AsyncIterator[Any]:
    from bot.clock import ShiftableClock
    from bot.settings import Settings
    from bot.wiring import open_runtime

    config = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{directory}/dispatch.db",
        bot_token="123:TEST",
        _env_file=None,
    )
    async with open_runtime(config, ShiftableClock(frozen_at=START), warn_without_key=False) as rt:
        update = {"tick_seconds": 3600, **settings}
        yield replace(rt, settings=config.model_copy(update=update))


@asynccontextmanager
async def _bot(runtime: Any, **sim_options: Any) -> AsyncIterator[tuple[Any, Any]]:
    from bot.runner import running_bot
    from simulator import TelegramSimulator

    async with (
        TelegramSimulator(**sim_options) as sim,
        running_bot(runtime, token=sim.token, base_url=sim.base_url, poll_timeout=1) as app,
    ):
        yield sim, app


async def _until(done: Callable[[], bool], limit: float = GIVE_UP) -> float | None:
    """Seconds until `done()` holds, or None if it did not within `limit`."""
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > limit:
            return None
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def _row_busy(directory: str) -> None:
    from tests.support.members import add_member_with_much_due, add_members

    async with _runtime(directory) as runtime, _bot(runtime) as (sim, app):
        busy = sim.user("Busy", language_code="de")
        others = [sim.user(f"Member {n}", language_code="de") for n in range(200)]
        writer = sim.user("Writer", language_code="de")
        await add_member_with_much_due(runtime, busy.id, commitments=500, contacts=500)
        await add_members(runtime, [m.id for m in others], next_prompt_at=START)
        await add_members(runtime, [writer.id], next_prompt_at=START + timedelta(days=3))
        waits: list[float] = []
        unanswered = 0
        running = True

        async def commit_every_second() -> None:
            nonlocal unanswered
            while running:
                asked = time.monotonic()
                await writer.send("/commit Anna anrufen morgen 10 Uhr")
                try:
                    await writer.next_message(timeout=30)
                    waits.append(time.monotonic() - asked)
                except TimeoutError:
                    unanswered += 1
                await asyncio.sleep(1.0)

        writing = asyncio.create_task(commit_every_second())
        app.bot_data.dispatcher.kick()
        took = await _until(lambda: all(m.messages for m in others))
        running = False
        await writing
        got = sum(1 for m in others if m.messages)
        print(
            f"busy: 200 others' prompts: {f'{took:.1f} s' if took else f'{got} of 200 in 120 s'}; "
            f"busy member got {len(busy.messages)}; /commit answered {len(waits)} times, "
            f"median {statistics.median(waits) * 1000:.0f} ms, max {max(waits) * 1000:.0f} ms, "
            f"unanswered {unanswered}"
        )


async def _backlog(runtime: Any, sim: Any, count: int) -> tuple[Any, list[Any]]:
    """A member with `count` follow-ups due since the bot went down, and 40 members due now."""
    from bot.domain.followups import schedule_due_followups
    from tests.support.members import add_member_with_much_due, add_members

    busy = sim.user("Busy", language_code="de")
    others = [sim.user(f"Member {n}", language_code="de") for n in range(40)]
    await add_member_with_much_due(runtime, busy.id, commitments=count, contacts=0)
    await schedule_due_followups(runtime, limit=count)
    runtime.clock.advance(timedelta(minutes=10))
    await add_members(runtime, [m.id for m in others], next_prompt_at=runtime.clock.now())
    return busy, others


async def _row_statuses(runtime: Any, telegram_id: int) -> dict[str, int]:
    from sqlalchemy import func, select

    from storage.models import Delivery, User

    async with runtime.sessions() as session:
        query = (
            select(Delivery.status, func.count())
            .join(User, User.id == Delivery.user_id)
            .where(User.telegram_id == telegram_id)
            .group_by(Delivery.status)
        )
        return {str(status): count for status, count in await session.execute(query)}


async def _forty_served(others: list[Any]) -> str:
    """How long until the 40 others had their prompt (or how many did, in 40 s)."""
    took = await _until(lambda: all(m.messages for m in others), limit=40)
    return f"{took:.1f} s" if took else f"{sum(1 for m in others if m.messages)} of 40 in 40 s"


async def _row_backlog(directory: str) -> None:
    async with _runtime(directory) as runtime, _bot(runtime) as (sim, app):
        busy, others = await _backlog(runtime, sim, 150)
        app.bot_data.dispatcher.kick()
        served = await _forty_served(others)
        by_then = len(busy.messages)
        await app.bot_data.dispatcher.stop()
        sent = (await _row_statuses(runtime, busy.id)).get("sent", 0)
        print(
            f"backlog: 40 others' prompts: {served}; busy member got {by_then} by then; "
            f"after stopping: {len(busy.messages)} messages for {sent} rows marked sent"
        )


async def _row_held_backlog(directory: str) -> None:
    async with _runtime(directory) as runtime, _bot(runtime) as (sim, app):
        group, others = await _backlog(runtime, sim, 30)
        sim.limiter.limit_chat(group.id, every=60)
        app.bot_data.dispatcher.kick()
        served = await _forty_served(others)
        statuses = await _row_statuses(runtime, group.id)
        print(
            f"heldbacklog: 40 others' prompts: {served}; "
            f"429s: {sim.stats.too_many_requests}; the held member's rows then: {statuses}"
        )


async def _row_chat429(directory: str) -> None:
    from tests.support.members import add_members

    async with _runtime(directory) as runtime, _bot(runtime) as (sim, app):
        limited, *others = [sim.user(f"Member {n}", language_code="de") for n in range(150)]
        await add_members(runtime, [limited.id], next_prompt_at=START - timedelta(minutes=1))
        await add_members(runtime, [m.id for m in others], next_prompt_at=START)
        sim.limiter.limit_chat(limited.id, every=60)
        app.bot_data.dispatcher.kick()
        took = await _until(lambda: all(m.messages for m in others))
        shown = f"{took:.1f} s" if took else "not within 120 s"
        print(
            f"chat429: 149 other prompts in {shown}; 429s: {sim.stats.too_many_requests}; "
            f"limited chat got {len(limited.messages)}"
        )


async def _row_timeout(directory: str) -> None:
    from tests.support.members import add_members

    async with _runtime(directory) as runtime, _bot(runtime) as (sim, app):
        kim = sim.user("Kim", language_code="de")
        await add_members(runtime, [kim.id], next_prompt_at=START)
        sim.faults.answer_late(6, methods="sendMessage")
        started = time.monotonic()
        for _ in range(6):
            app.bot_data.dispatcher.kick()
            await app.bot_data.dispatcher.idle()
            runtime.clock.advance(timedelta(minutes=3))
        print(
            f"timeout: copies delivered {len(kim.messages)}, send attempts "
            f"{sim.stats.sent_messages}, in {time.monotonic() - started:.0f} s"
        )


async def _row_outage(directory: str) -> None:
    from sqlalchemy import func, select

    from storage.models import Delivery
    from tests.support.members import add_members

    async with _runtime(directory) as runtime, _bot(runtime) as (sim, app):
        members = [sim.user(f"Member {n}", language_code="de") for n in range(5)]
        await add_members(runtime, [m.id for m in members], next_prompt_at=START)
        sim.faults.set_error_rate(1.0, status=502, methods="sendMessage")
        dispatcher = app.bot_data.dispatcher
        started = time.perf_counter()
        for _ in range(18):
            dispatcher.kick()
            await dispatcher.idle()
            runtime.clock.advance(timedelta(minutes=5))
        elapsed = time.perf_counter() - started
        tried = sim.stats.server_errors
        async with runtime.sessions() as session:
            query = select(Delivery.status, func.count()).group_by(Delivery.status)
            statuses = {str(status): count for status, count in (await session.execute(query))}
        sim.faults.clear()
        runtime.clock.advance(timedelta(minutes=10))
        dispatcher.kick()
        await dispatcher.idle()
        print(
            f"outage: after 90 min of 502: rows {statuses}, sends tried {tried} "
            f"(the 18 ticks took {elapsed:.1f} s); "
            f"once back, members with their prompt: {sum(1 for m in members if m.messages)} of 5"
        )


class _SteppedWallClock(datetime):
    """`datetime` as the scheduler reads it, with the machine's clock stepped by `step`."""

    step = timedelta(0)

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Self:
        return super().now(tz) + cls.step


async def _row_clock(directory: str) -> None:
    from apscheduler.schedulers import base as scheduler_base

    scheduler_base.datetime = _SteppedWallClock  # type: ignore[misc]
    async with _runtime(directory, tick_seconds=0.2) as runtime, _bot(runtime) as (_, app):
        await asyncio.sleep(1.0)
        ticks = app.bot_data.metrics.ticks
        before = ticks._value.get()
        await asyncio.sleep(3.0)
        steady = ticks._value.get() - before
        _SteppedWallClock.step = -timedelta(hours=1)
        runtime.clock.set(START - timedelta(hours=1))
        before = ticks._value.get()
        await asyncio.sleep(3.0)
        print(
            f"clock: ticks in 3 s before the step {steady:.0f}, "
            f"after stepping back an hour {ticks._value.get() - before:.0f}"
        )


ROWS = {
    "busy": _row_busy,
    "backlog": _row_backlog,
    "heldbacklog": _row_held_backlog,
    "chat429": _row_chat429,
    "timeout": _row_timeout,
    "outage": _row_outage,
    "clock": _row_clock,
}


def main(argv: list[str] | None = None) -> int:
    """Run the rows asked for (all by default), each on a new database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="*", help=f"any of {', '.join(ROWS)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.rows) - set(ROWS)
    if unknown:
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    for name in args.rows or list(ROWS):
        with tempfile.TemporaryDirectory() as directory:
            asyncio.run(ROWS[name](directory))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
