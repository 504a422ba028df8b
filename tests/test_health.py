"""A load balancer asks /healthz and hears why a process should get no work; the DB never hears."""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import runner
from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import TelegramSimulator
from storage.engine import create_engine
from tests.support.harness import bot_against
from tests.support.monitoring import free_port, health, scrape, wait_for_health
from tests.support.processes import netcoach_process


@asynccontextmanager
async def watched_bot(
    sim: TelegramSimulator, runtime: Runtime
) -> AsyncIterator[tuple[NetcoachApplication, str, aiohttp.ClientSession]]:
    """A polling bot with its health port on, ticking fast; yields it, its root URL, a client."""
    port = free_port()
    settings = runtime.settings.model_copy(update={"health_port": port, "tick_seconds": 0.2})
    async with (
        bot_against(sim, replace(runtime, settings=settings)) as app,
        aiohttp.ClientSession() as http,
    ):
        yield app, f"http://127.0.0.1:{port}", http


def _job(app: NetcoachApplication, name: str) -> Any:
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(name)
    return job


async def test_healthz_says_why_while_the_database_is_gone_and_recovers_when_it_is_back(
    sim: TelegramSimulator, runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The job looks at the database every few seconds; the story is the same every 0.2 s.
    monkeypatch.setattr(runner, "REFRESH_SECONDS", 0.2)
    # An engine on a file in a folder that does not exist: every connection fails.
    unreachable = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'netcoach.db'}")
    reachable = runtime.sessions.kw["bind"]
    try:
        async with watched_bot(sim, runtime) as (_app, root, http):
            code, body = await health(http, root)
            assert (code, body["status"]) == (200, "ok")
            assert body["database_checked_seconds_ago"] < 1

            runtime.sessions.configure(bind=unreachable)
            body = await wait_for_health(http, root, "database unavailable")
            code, _ = await health(http, root)
            assert code == 503
            metrics = await scrape(http, root)
            assert metrics.value("netcoach_database_errors_total", source="health") >= 1
            assert "unable to open" not in metrics.text  # a type name, never a message
            assert metrics.value(
                "netcoach_database_errors_total", source="health", error="OperationalError"
            ) == metrics.value("netcoach_database_errors_total", source="health")

            runtime.sessions.configure(bind=reachable)
            await wait_for_health(http, root, "ok")
    finally:
        runtime.sessions.configure(bind=reachable)
        await unreachable.dispose()


async def test_healthz_says_the_tick_is_late_when_the_dispatcher_stops_ticking(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    async with watched_bot(sim, runtime) as (app, root, http):
        health_state = app.bot_data.health
        # The real grace is a minute or more; the story is the same with half a second.
        health_state.tick_late_after = 0.5
        await wait_for_health(http, root, "ok")

        app.bot_data.dispatcher.stop_ticking()
        body = await wait_for_health(http, root, "dispatch tick late")
        assert body["last_tick_seconds_ago"] > 0.5
        code, _ = await health(http, root)
        assert code == 503

        app.bot_data.dispatcher.start_ticking(0.2, first=0)
        await wait_for_health(http, root, "ok")

        # Shutting down: balancers hear it before the process stops answering members.
        health_state.mark_stopping()
        code, body = await health(http, root)
        assert (code, body["status"]) == (503, "stopping")


async def test_a_flood_of_health_checks_and_scrapes_never_reaches_the_database(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    engine: AsyncEngine = runtime.sessions.kw["bind"]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    async with watched_bot(sim, runtime) as (app, root, http):
        # Nothing in the background may touch the database meanwhile either.
        app.bot_data.dispatcher.stop_ticking()
        _job(app, "health").enabled = False
        await app.bot_data.dispatcher.idle()
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            answers = await asyncio.gather(
                *(health(http, root) for _ in range(100)), *(scrape(http, root) for _ in range(20))
            )
            assert all(code == 200 for code, _ in answers[:100])
            assert statements == []
            # The listener does see the database when the bot uses it.
            await app.bot_data.health.refresh()
            assert statements
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)


def _imports(log: Path, module: str) -> bool:
    return any(
        re.search(rf"\|\s*{re.escape(module)}$", line)
        for line in log.read_text(encoding="utf-8").splitlines()
        if line.startswith("import time:")
    )


# Process start-up and imports do not depend on the database backend.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_polling_bot_without_a_health_port_never_loads_aiohttps_server(
    sim: TelegramSimulator, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "netcoach.log"
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")
    paula = sim.user("Paula", language_code="de")
    async with netcoach_process(sim, database_url, log) as bot:
        await paula.send("/start")
        welcome = await paula.next_message(timeout=60)
        assert "Hallo Paula" in (welcome.text or "")
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), 30) == 0
    assert _imports(log, "bot.runner"), "the log must list the process's imports"
    assert _imports(log, "telegram.ext")
    assert not _imports(log, "aiohttp.web")
    assert not _imports(log, "bot.health_server")
    assert not _imports(log, "bot.webhook")
    # Nor what only later answers need (pictures, shared locations, due dates), nor
    # Alembic for a database that is already current.
    for later in ("PIL", "timezonefinder", "dateparser", "alembic"):
        assert not _imports(log, later), later
