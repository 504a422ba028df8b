"""Several processes on one PostgreSQL database share the weekly dispatch without double sends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.domain.runtime import Runtime
from simulator import TelegramSimulator
from storage.models import Delivery, DeliveryStatus
from tests.support.databases import own_database
from tests.support.members import add_members
from tests.support.processes import CountingProxy, live_runtime, netcoach_process, wait_until

pytestmark = pytest.mark.postgres

MEMBERS = 3000
CEILING = 1000  # the bot's, shared by the workers (the simulator's too)


@pytest.fixture
def own_postgres_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own for processes that outlive one test's transactions."""
    with own_database("postgres", tmp_path) as url:
        yield url


@pytest.fixture
async def system_runtime(own_postgres_database: str) -> AsyncIterator[Runtime]:
    """A runtime on that database with the real clock, as the worker processes have."""
    async with live_runtime(own_postgres_database) as runtime:
        yield runtime


async def test_two_dispatch_workers_share_thousands_of_prompts_and_nobody_gets_two(
    system_runtime: Runtime, own_postgres_database: str, tmp_path: Path
) -> None:
    async with TelegramSimulator(global_rate=CEILING) as sim:
        sim.record_requests = False
        members = [sim.user(f"Member {n}", language_code="de") for n in range(MEMBERS)]
        await add_members(system_runtime, [m.id for m in members], next_prompt_at=datetime.now(UTC))
        async with AsyncExitStack() as stack:
            proxies = [await stack.enter_async_context(CountingProxy(sim)) for _ in range(2)]
            for number, proxy in enumerate(proxies):
                await stack.enter_async_context(
                    netcoach_process(
                        sim,
                        own_postgres_database,
                        tmp_path / f"worker-{number}.log",
                        "--dispatch-only",
                        base_url=proxy.base_url,
                        tick_seconds="0.2",
                        max_messages_per_second=str(CEILING),
                    )
                )
            # A guard, not a speed check (BENCHMARKS.md measures speed): generous when busy.
            await wait_until(lambda: sim.stats.sent_messages >= MEMBERS, timeout=240)
            await asyncio.sleep(1.0)  # time enough for any double send to show

        shares = [proxy.calls["sendmessage"] for proxy in proxies]
        print(f"\nsendMessage calls per worker: {shares}, delivered: {sim.stats.sent_messages}")
        assert sorted(sim.stats.sent_per_chat[m.id] for m in members) == [1] * MEMBERS
        assert sim.stats.sent_messages == MEMBERS
        assert all(share > MEMBERS // 10 for share in shares), "one worker did all the work"
        assert sim.stats.too_many_requests == 0

    async with system_runtime.sessions() as session:
        statuses = dict(
            (
                await session.execute(
                    select(Delivery.status, func.count()).group_by(Delivery.status)
                )
            ).all()
        )
    assert statuses == {DeliveryStatus.SENT: MEMBERS}
    for number in range(2):
        log = (tmp_path / f"worker-{number}.log").read_text()
        assert "Traceback" not in log, log[-2000:]
