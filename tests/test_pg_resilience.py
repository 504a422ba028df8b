"""PostgreSQL drops the bot's connections in the middle of a dispatch, twice.

An operator restarts PostgreSQL, or a failover cuts every connection, while the weekly
prompts go out and members are chatting. The bot must notice (the pool pings before
use), reconnect, lose no prompt, send no more duplicates than were in flight, and keep
answering members throughout; the event loop must never die.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.clock import SystemClock
from bot.domain.runtime import Runtime
from bot.runner import running_bot
from bot.settings import Settings
from content.cards import load_cards
from content.i18n import catalog
from simulator import SimUser, TelegramSimulator
from storage.engine import create_engine, create_session_factory
from storage.models import Delivery, DeliveryStatus
from tests.support.conformance import assert_requests_conform
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_url,
)
from tests.support.members import add_members
from tests.support.processes import wait_until

pytestmark = pytest.mark.postgres

MEMBERS = 300
CHATTERS = 5
RATE = 100
KILL_AFTER = (80, 180)  # prompts delivered when PostgreSQL drops every connection


@pytest.fixture
async def scratch_database() -> AsyncIterator[str]:
    """A database of its own: killing its connections touches no other test."""
    server = postgres_url()
    if server is None:
        pytest.skip("PostgreSQL tests need NETCOACH_TEST_POSTGRES_URL (set by .ci/run)")
    url = await create_postgres_database(server)
    yield url
    await drop_postgres_database(server, url)


async def _drop_connections(url: str) -> int:
    """What a PostgreSQL restart does to the bot: every server connection ends at once."""
    address = make_url(url)
    side = await asyncpg.connect(
        address.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        killed = await side.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            address.database,
        )
    finally:
        await side.close()
    return int(killed)


async def _drop_connections_once_held(url: str) -> int:
    """Drop the bot's connections as soon as it holds some again (it reconnects lazily)."""
    for _ in range(200):
        if killed := await _drop_connections(url):
            return killed
        await asyncio.sleep(0.05)
    return 0


async def _keep_chatting(chatters: list[SimUser], stop: asyncio.Event) -> list[str]:
    """Each chatter asks for /help in turn until told to stop; every answer is kept."""
    answers: list[str] = []
    while not stop.is_set():
        for chatter in chatters:
            await chatter.send("/help")
            answers.append((await chatter.next_message(timeout=15)).text or "")
        await asyncio.sleep(0.05)
    return answers


async def _open_deliveries(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return (
            await session.execute(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)))
            )
        ).scalar_one()


async def test_a_dispatch_survives_postgresql_dropping_every_connection_twice(
    scratch_database: str,
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        database_url=scratch_database,
        max_messages_per_second=RATE,
        tick_seconds=0.2,
        delivery_lease_seconds=2,
        _env_file=None,
    )
    engine = create_engine(scratch_database)
    runtime = Runtime(create_session_factory(engine), SystemClock(), settings, load_cards())
    try:
        async with TelegramSimulator(global_rate=RATE + 100) as sim:
            sim.record_requests = False
            members = [sim.user(f"Member {n}", language_code="en") for n in range(MEMBERS)]
            chatters = [sim.user(f"Chatter {n}", language_code="en") for n in range(CHATTERS)]
            await add_members(
                runtime, [m.id for m in members], language="en", next_prompt_at=datetime.now(UTC)
            )
            await add_members(runtime, [c.id for c in chatters], language="en")
            async with running_bot(
                runtime, token=sim.token, base_url=sim.base_url, poll_timeout=1
            ) as app:
                dispatcher = app.bot_data.dispatcher
                await chatters[0].send("/help")
                help_text = (await chatters[0].next_message(timeout=10)).text
                stop = asyncio.Event()
                chatting = asyncio.create_task(_keep_chatting(chatters, stop))
                killed = []
                for threshold in KILL_AFTER:
                    await wait_until(lambda t=threshold: sim.stats.sent_messages >= t, timeout=30)
                    killed.append(await _drop_connections_once_held(scratch_database))
                # Leases of sends whose outcome was lost run out, and they go out again.
                await wait_until(
                    lambda: all(sim.stats.sent_per_chat[m.id] for m in members), timeout=60
                )
                for _ in range(100):
                    if not await _open_deliveries(runtime):
                        break
                    await asyncio.sleep(0.2)
                # Still answering after the second drop.
                stop.set()
                answers = await chatting
                await chatters[0].send("/help")
                last = await chatters[0].next_message(timeout=10)
                limit = dispatcher.max_in_flight
        assert_requests_conform(sim)
    finally:
        await engine.dispose()

    prompts = [sim.stats.sent_per_chat[m.id] for m in members]
    duplicates = sum(count - 1 for count in prompts)
    print(
        f"connections dropped {killed}, members missed {prompts.count(0)}, "
        f"duplicates {duplicates} (in-flight limit {limit} per drop), "
        f"/help answered {len(answers)} times while it happened"
    )
    assert all(count >= 1 for count in prompts), "a member lost their prompt"
    assert duplicates <= limit * len(KILL_AFTER)
    assert all(n >= 1 for n in killed), "the bot held no connection to drop"
    assert await _open_deliveries_after(scratch_database) == 0
    assert last.text == help_text
    # Every /help got an answer; at most the few caught by a drop got the apology.
    apology = catalog("en")("error.generic")
    assert set(answers) <= {help_text, apology}
    assert answers.count(apology) <= CHATTERS * len(KILL_AFTER)


async def _open_deliveries_after(url: str) -> int:
    engine = create_engine(url)
    try:
        runtime = Runtime(
            create_session_factory(engine),
            SystemClock(),
            Settings(database_url=url, _env_file=None),  # type: ignore[call-arg]
            load_cards(),
        )
        return await _open_deliveries(runtime)
    finally:
        await engine.dispose()
