"""An operator's dashboard counts what Telegram saw: every send, its outcome, its lateness."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.clock import ShiftableClock
from bot.domain.health import members_by_status
from bot.domain.runtime import Runtime
from bot.metrics import Metrics, SendResult, send_result
from simulator import TelegramSimulator
from tests.support.harness import bot_against, chat
from tests.support.members import add_members
from tests.support.monitoring import (
    Scrape,
    free_port,
    health,
    scrape,
    sends_seen_by,
    wait_for_health,
)
from tests.support.processes import netcoach_process, wait_until

LATE = timedelta(seconds=90)


async def _scrape_until(
    http: aiohttp.ClientSession, root: str, done: object, *, timeout: float = 15.0
) -> Scrape:
    """Scrape until `done(scrape)` holds: counts land a moment after the simulator answered."""
    assert callable(done)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            metrics = await scrape(http, root)
            if done(metrics) or loop.time() > deadline:
                return metrics
        except aiohttp.ClientConnectionError:
            if loop.time() > deadline:
                raise
        await asyncio.sleep(0.1)


def _sends(metrics: Scrape, kind: str) -> dict[str, int]:
    """The send counter of one kind, by outcome, leaving out outcomes never seen."""
    counts = {
        outcome.value: int(metrics.value("netcoach_sends_total", kind=kind, outcome=outcome.value))
        for outcome in SendResult
    }
    return {outcome: count for outcome, count in counts.items() if count}


async def test_a_dispatch_and_a_reply_are_counted_as_the_simulator_answered_them(
    sim: TelegramSimulator,
    runtime: Runtime,
    clock: ShiftableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    watched = replace(
        runtime,
        settings=runtime.settings.model_copy(update={"health_port": port, "tick_seconds": 0.2}),
    )
    members = [sim.user(f"Member {n}", language_code="de") for n in range(5)]
    # Their prompts fell due a minute and a half ago (the clock stands still meanwhile).
    await add_members(runtime, [m.id for m in members], next_prompt_at=clock.now() - LATE)
    # Telegram's answers to the first three prompts: blocked, a server error, a flood wait.
    sim.faults.fail_next(1, status=403, method="sendMessage", description="Forbidden: blocked")
    sim.faults.fail_next(1, status=500, method="sendMessage")
    sim.faults.rate_limit_storm(1, retry_after=1)
    root = f"http://127.0.0.1:{port}"

    async with bot_against(sim, watched) as app, aiohttp.ClientSession() as http:
        dispatcher = app.bot_data.dispatcher
        dispatcher.kick()
        await dispatcher.idle()
        visitor = sim.user("Vera", language_code="en")
        await chat(visitor, "/help")

        member_ids = {m.id for m in members}
        seen = sends_seen_by(sim, member_ids)
        assert seen == {"ok": 4, "403": 1, "5xx": 1, "429": 1}
        replies = sends_seen_by(sim, {visitor.id})
        metrics = await _scrape_until(
            http,
            root,
            lambda m: (
                _sends(m, "prompt") == seen
                and _sends(m, "reply") == replies
                and m.value("netcoach_update_handling_seconds_count") == sim.stats.updates_created
            ),
        )
        assert _sends(metrics, "prompt") == seen
        assert _sends(metrics, "reply") == replies
        assert metrics.value("netcoach_update_handling_seconds_count") == sim.stats.updates_created
        # Each delivered prompt was 90 s late: all of them between 60 s and 120 s.
        assert metrics.value("netcoach_dispatch_lag_seconds_count") == 4
        assert metrics.value("netcoach_dispatch_lag_seconds_bucket", le="60.0") == 0
        assert metrics.value("netcoach_dispatch_lag_seconds_bucket", le="120.0") == 4
        assert metrics.value("netcoach_dispatch_lag_seconds_sum") == 4 * LATE.total_seconds()
        assert metrics.value("netcoach_dispatch_run_seconds_count") >= 1
        assert metrics.value("netcoach_dispatch_ticks_total") >= 1
        assert metrics.value("netcoach_database_errors_total") == 0
        # Members were counted once at start; the next refresh that may count sees the block.
        assert metrics.value("netcoach_members", status="active") == 5
        monkeypatch.setattr("bot.health.MEMBER_COUNT_SECONDS", 0.0)
        counts = {status.value: n for status, n in (await members_by_status(runtime)).items()}
        assert counts["blocked"] == 1
        metrics = await _scrape_until(
            http,
            root,
            lambda m: all(m.value("netcoach_members", status=s) == n for s, n in counts.items()),
        )
        assert {s: metrics.value("netcoach_members", status=s) for s in counts} == counts
        code, body = await health(http, root)
        assert (code, body["status"]) == (200, "ok")


# A worker process on its own: the database backend does not change what is counted.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_dispatch_only_worker_serves_its_counts_and_json_logs(
    sim: TelegramSimulator,
    runtime: Runtime,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    members = [sim.user(f"Member {n}", language_code="de") for n in range(6)]
    gone = members[0]
    # Blocked while no process listened: only a 403 at the send tells the worker.
    gone.block()
    due = datetime.now(UTC) - timedelta(minutes=1)
    await add_members(runtime, [m.id for m in members], next_prompt_at=due)
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    log = tmp_path / "worker.log"
    # Every import the worker makes goes to its log: it serves HTTP, so aiohttp's server is in.
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")

    async with (
        netcoach_process(
            sim,
            database_url,
            log,
            "--dispatch-only",
            health_port=str(port),
            tick_seconds="0.3",
            log_format="json",
        ) as worker,
        aiohttp.ClientSession() as http,
    ):
        await wait_until(lambda: len(sim.requests_for("sendMessage")) >= len(members), timeout=60)
        seen = sends_seen_by(sim, {m.id for m in members})
        assert seen == {"ok": 5, "403": 1}
        metrics = await _scrape_until(http, root, lambda m: _sends(m, "prompt") == seen)
        assert _sends(metrics, "prompt") == seen
        assert _sends(metrics, "reply") == {}
        assert metrics.value("netcoach_dispatch_lag_seconds_count") == 5
        assert metrics.value("netcoach_update_handling_seconds_count") == 0
        assert metrics.value("process_resident_memory_bytes") > 0
        body = await wait_for_health(http, root, "ok")
        assert body["last_tick_seconds_ago"] < 5
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(worker.wait(), 30) == 0

    lines = log.read_text(encoding="utf-8").splitlines()
    imports = [line for line in lines if line.startswith("import time:")]
    assert any(re.search(r"\|\s*aiohttp\.web$", line) for line in imports)
    entries = [json.loads(line) for line in lines if not line.startswith("import time:")]
    assert entries, "the worker logged nothing"
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    assert any(
        entry["logger"] == "netcoach.health" and f":{port}/metrics" in entry["message"]
        for entry in entries
    )
    assert not [entry for entry in entries if "traceback" in entry]
    assert sim.token not in log.read_text(encoding="utf-8")


def test_two_applications_in_one_process_count_apart() -> None:
    first, second = Metrics(), Metrics()
    first.count_send("prompt", None)
    sent = [
        Scrape(metrics.exposition().decode()).value(
            "netcoach_sends_total", kind="prompt", outcome="ok"
        )
        for metrics in (first, second)
    ]
    assert sent == [1, 0]


def _network_failure() -> NetworkError:
    """What python-telegram-bot raises when the connection itself fails."""
    try:
        try:
            raise httpx.ConnectError("connection refused")
        except httpx.ConnectError as cause:
            raise NetworkError(f"httpx.ConnectError: {cause}") from cause
    except NetworkError as problem:
        return problem


@pytest.mark.parametrize(
    ("problem", "outcome"),
    [
        (None, SendResult.OK),
        (RetryAfter(3), SendResult.FLOOD),
        (Forbidden("Forbidden: bot was blocked by the user"), SendResult.FORBIDDEN),
        (TimedOut(), SendResult.TIMEOUT),
        (NetworkError("Bad Gateway"), SendResult.SERVER_ERROR),
        (BadRequest("Bad Request: chat not found"), SendResult.OTHER),
        (_network_failure(), SendResult.OTHER),
        (ValueError("not from Telegram"), SendResult.OTHER),
    ],
)
def test_each_answer_of_telegram_has_its_outcome(
    problem: BaseException | None, outcome: SendResult
) -> None:
    assert send_result(problem) is outcome
