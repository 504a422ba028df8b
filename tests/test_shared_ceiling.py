"""Processes on one database share Telegram's ceiling: together they never go over it.

Telegram counts a bot's messages per token. A bot run as a polling process and dispatch
workers on one database (PostgreSQL, or one SQLite file on one machine) sends like one
process: a crowd due at once goes out without a single 429, and no second ever holds
more messages than the ceiling — counted by the simulator, as Telegram would count them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain.ceiling_shares import LEAVING_STEP, ShareAsk, Window, even_split, renew_shares
from bot.domain.runtime import Runtime
from simulator import TelegramSimulator
from tests.support.databases import own_database
from tests.support.members import add_members
from tests.support.processes import CountingProxy, live_runtime, netcoach_process, wait_until

CEILING = 30
CROWD = 300


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own, for processes that outlive one test's transactions."""
    with own_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def system_runtime(shared_database: str) -> AsyncIterator[Runtime]:
    """A runtime on that database with the real clock, as the processes have."""
    async with live_runtime(shared_database) as runtime:
        yield runtime


@pytest.mark.parametrize("processes", [2, 3])
async def test_a_crowd_due_at_once_goes_out_from_several_processes_without_a_429(
    system_runtime: Runtime, shared_database: str, tmp_path: Path, processes: int
) -> None:
    async with TelegramSimulator(global_rate=CEILING) as sim:
        sim.record_requests = False
        members = [sim.user(f"Member {n}", language_code="de") for n in range(CROWD)]
        await add_members(system_runtime, [m.id for m in members], next_prompt_at=datetime.now(UTC))
        async with AsyncExitStack() as stack:
            proxies = [
                await stack.enter_async_context(CountingProxy(sim)) for _ in range(processes)
            ]
            for number, proxy in enumerate(proxies):
                # The bot that polls, and dispatch workers beside it.
                await stack.enter_async_context(
                    netcoach_process(
                        sim,
                        shared_database,
                        tmp_path / f"process-{number}.log",
                        *(["--dispatch-only"] if number else []),
                        base_url=proxy.base_url,
                        tick_seconds="0.2",
                        max_messages_per_second=str(CEILING),
                    )
                )
            # A guard, not a speed check (BENCHMARKS.md measures speed): generous when busy.
            await wait_until(lambda: sim.stats.sent_messages >= CROWD, timeout=240)
            await asyncio.sleep(1.0)  # time enough for any double send to show

        shares = [proxy.calls["sendmessage"] for proxy in proxies]
        print(f"\nsendMessage calls per process: {shares}, peak {sim.stats.max_per_second}/s")
        assert sorted(sim.stats.sent_per_chat[m.id] for m in members) == [1] * CROWD
        assert sim.stats.too_many_requests == 0
        assert sim.stats.max_per_second <= CEILING
        assert sum(1 for share in shares if share > 0) >= 2, "one process did all the work"
    for number in range(processes):
        log = (tmp_path / f"process-{number}.log").read_text()
        assert "Traceback" not in log, log[-2000:]


def _ask(demand: int, *, held: int = 0, in_window: int = 0) -> list[ShareAsk]:
    return [ShareAsk("free", CEILING, held=held, window=Window(in_window), demand=demand)]


async def test_a_process_joining_gets_what_the_other_gives_back_and_never_more(
    system_runtime: Runtime,
) -> None:
    sessions = system_runtime.sessions
    (alone,) = await renew_shares(sessions, "bot", _ask(CEILING))
    assert (alone.held, alone.contended) == (CEILING, False)

    # A worker starts while the bot sends at the full ceiling: nothing is left for it yet.
    (worker,) = await renew_shares(sessions, "worker", _ask(CEILING))
    assert (worker.held, worker.contended) == (0, True)

    # The bot renews: it goes down to half, but its sends of the last second still count.
    (bot,) = await renew_shares(sessions, "bot", _ask(CEILING, held=CEILING, in_window=CEILING))
    assert bot.held == CEILING // 2
    (worker,) = await renew_shares(sessions, "worker", _ask(CEILING))
    assert worker.held == 0

    # A moment later a third of them has left the window: the worker gets that much.
    (bot,) = await renew_shares(sessions, "bot", _ask(CEILING, held=15, in_window=20))
    (worker,) = await renew_shares(sessions, "worker", _ask(CEILING))
    assert worker.held == 10

    # Once the bot's window is down to its share, each holds half.
    (bot,) = await renew_shares(sessions, "bot", _ask(CEILING, held=15, in_window=15))
    (worker,) = await renew_shares(sessions, "worker", _ask(CEILING, held=10, in_window=10))
    assert (bot.held, worker.held) == (15, 15)
    assert not worker.contended


async def test_a_process_that_keeps_to_its_smaller_share_at_once_frees_the_rest_at_once(
    system_runtime: Runtime,
) -> None:
    sessions = system_runtime.sessions
    await renew_shares(sessions, "bot", _ask(CEILING))
    await renew_shares(sessions, "worker", _ask(CEILING))
    kept_to: list[tuple[str, int]] = []

    def settle(ceiling: str, held: int) -> Window:
        kept_to.append((ceiling, held))
        return Window(22)  # of its sends, 22 are still in the window now

    (bot,) = await renew_shares(
        sessions, "bot", _ask(CEILING, held=CEILING, in_window=CEILING), settle=settle
    )
    assert kept_to == [("free", CEILING // 2)] and bot.held == CEILING // 2
    # Not the whole ceiling it held until now: only what its sends still take up.
    (worker,) = await renew_shares(sessions, "worker", _ask(CEILING))
    assert worker.held == CEILING - 22


async def test_a_share_grows_as_the_others_sends_leave_the_window_without_waiting_for_them(
    system_runtime: Runtime,
) -> None:
    sessions = system_runtime.sessions
    await renew_shares(sessions, "bot", _ask(CEILING))
    await renew_shares(sessions, "worker", _ask(CEILING))
    # The bot is nearly done: five sends on their way, twenty counted ones leave
    # Telegram's window within a fifth of a second.
    soon = int(0.2 / LEAVING_STEP) - 1
    leaving = tuple(20 if step == soon else 0 for step in range(20))
    (bot,) = await renew_shares(
        sessions,
        "bot",
        _ask(5, held=CEILING, in_window=25),
        settle=lambda _ceiling, _held: Window(5, leaving),
    )
    assert bot.held == 5
    # The worker may use five now and the twenty as they leave, the bot renewing or not.
    (worker,) = await renew_shares(sessions, "worker", _ask(CEILING))
    assert worker.held == CEILING - 5
    assert worker.rising == (5,) * (soon + 1) + (CEILING - 5,) * (19 - soon)
    await asyncio.sleep(0.25)
    (worker,) = await renew_shares(sessions, "worker", _ask(CEILING, held=25, in_window=25))
    assert (worker.held, worker.rising) == (CEILING - 5, ())


async def test_an_idle_process_gives_its_share_to_the_one_with_work(
    system_runtime: Runtime,
) -> None:
    sessions = system_runtime.sessions
    # Alone, the bot holds the whole ceiling while it answers a few members.
    (bot,) = await renew_shares(sessions, "bot", _ask(5))
    assert bot.held == CEILING
    (worker,) = await renew_shares(sessions, "worker", _ask(CEILING))
    assert worker.held == 0
    # The bot keeps what it needs; what it held stays reserved until its next renewal.
    (bot,) = await renew_shares(sessions, "bot", _ask(5, held=CEILING, in_window=5))
    assert bot.held == 5
    (bot,) = await renew_shares(sessions, "bot", _ask(5, held=5, in_window=5))
    (worker,) = await renew_shares(sessions, "worker", _ask(CEILING))
    assert worker.held == CEILING - 5
    # With nothing left to send, the bot gives all of it back.
    (bot,) = await renew_shares(sessions, "bot", _ask(0, held=0, in_window=0))
    assert bot.held == 0
    (worker,) = await renew_shares(sessions, "worker", _ask(CEILING, held=25, in_window=25))
    assert worker.held == CEILING


async def test_a_process_that_died_has_its_share_back_in_the_pool_within_seconds(
    system_runtime: Runtime,
) -> None:
    sessions = system_runtime.sessions
    # Short leases, so the story takes half a second (real ones: two seconds, and 1.2 s of drain).
    short = {"lease": 0.2, "drain": 0.2}
    await renew_shares(sessions, "worker", _ask(CEILING), **short)
    (bot,) = await renew_shares(sessions, "bot", _ask(CEILING), **short)
    assert bot.held == 0
    # The worker is killed: it never renews again.
    await asyncio.sleep(0.5)
    (bot,) = await renew_shares(sessions, "bot", _ask(CEILING), **short)
    assert bot.held == CEILING


@pytest.mark.parametrize(
    ("demands", "split"),
    [
        ({"a": 30}, {"a": 30}),
        ({"a": 2}, {"a": 30}),  # alone, all of it, whatever it asks
        ({"a": 30, "b": 30}, {"a": 15, "b": 15}),
        ({"a": 30, "b": 30, "c": 30}, {"a": 10, "b": 10, "c": 10}),
        ({"a": 30, "b": 30, "c": 30, "d": 30}, {"a": 7, "b": 7, "c": 8, "d": 8}),
        ({"a": 1, "b": 30}, {"a": 1, "b": 29}),  # a reply beside a dispatch
        ({"a": 4, "b": 6}, {"a": 14, "b": 16}),  # what nobody asked for, split evenly
    ],
)
def test_the_ceiling_is_split_by_demand_and_never_beyond_it(
    demands: dict[str, int], split: dict[str, int]
) -> None:
    assert even_split(CEILING, demands) == split
    assert sum(split.values()) == CEILING
