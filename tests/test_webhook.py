"""Webhook mode: Telegram POSTs updates with a secret; anyone else is turned away at the door."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.cli import main
from bot.domain.runtime import Runtime
from bot.metrics import Metrics, WebhookRejection
from bot.runner import running_bot
from bot.webhook import SECRET_HEADER, RejectionLog
from handlers.context import NetcoachApplication
from simulator import TelegramSimulator
from storage.engine import create_engine, create_session_factory
from storage.models import User
from tests.support.harness import chat
from tests.support.monitoring import health

SECRET = "s3cret-Token_for-the-test_32chars"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def webhook_bot(
    sim: TelegramSimulator, runtime: Runtime
) -> AsyncIterator[tuple[NetcoachApplication, str]]:
    """netcoach in webhook mode on a free loopback port; yields the app and its root URL."""
    port = _free_port()
    root = f"http://127.0.0.1:{port}"
    settings = runtime.settings.model_copy(
        update={
            "webhook_url": f"{root}/telegram/netcoach",
            "webhook_secret": SecretStr(SECRET),
            "webhook_port": port,
        }
    )
    async with running_bot(
        replace(runtime, settings=settings), token=sim.token, base_url=sim.base_url, mode="webhook"
    ) as application:
        yield application, root


async def _members(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


async def test_telegram_delivers_a_members_messages_over_the_webhook_with_the_secret(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    nora = sim.user("Nora", language_code="de")
    async with webhook_bot(sim, runtime):
        (registered,) = sim.requests_for("setWebhook")
        assert registered.params["secret_token"] == SECRET
        assert sim.webhook_url is not None and sim.webhook_url.endswith("/telegram/netcoach")

        welcome, _ = await chat(nora, "/start", replies=2)
        assert "Hallo Nora" in (welcome.text or "")

    # Every update came by POST, each accepted at the first attempt with the secret.
    assert sim.webhook_deliveries
    assert {d.status for d in sim.webhook_deliveries} == {200}
    assert all(d.attempt == 1 for d in sim.webhook_deliveries)
    assert all(d.headers[SECRET_HEADER] == SECRET for d in sim.webhook_deliveries)
    assert not sim.requests_for("getUpdates")


async def test_posts_without_or_with_a_wrong_secret_are_refused_and_change_nothing(
    sim: TelegramSimulator, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    mallory = sim.user("Mallory", language_code="en")
    forged = {
        "update_id": 4242,
        "message": {
            "message_id": 1,
            "date": 1_800_000_000,
            "chat": {"id": mallory.id, "type": "private", "first_name": "Mallory"},
            "from": {"id": mallory.id, "is_bot": False, "first_name": "Mallory"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    async with webhook_bot(sim, runtime) as (_app, root), aiohttp.ClientSession() as http:
        url = f"{root}/telegram/netcoach"
        attempts = {
            "no secret": {},
            "wrong secret": {SECRET_HEADER: "guessed"},
            "almost the secret": {SECRET_HEADER: SECRET[:-1]},
            "secret with a non-ASCII tail": {SECRET_HEADER: SECRET + "é"},
        }
        statuses = {}
        for name, headers in attempts.items():
            async with http.post(url, json=forged, headers=headers) as answer:
                statuses[name] = answer.status
        # The right secret on garbage is refused too, and reveals nothing.
        async with http.post(url, data=b"not json", headers={SECRET_HEADER: SECRET}) as answer:
            statuses["garbage with the secret"] = answer.status
        async with http.get(f"{root}/healthz") as health:
            assert health.status == 200 and (await health.json())["status"] == "ok"

        # Telegram's own deliveries still get through.
        await chat(sim.user("Probe", language_code="en"), "/help")

    assert statuses == {
        "no secret": 401,
        "wrong secret": 403,
        "almost the secret": 403,
        "secret with a non-ASCII tail": 403,
        "garbage with the secret": 400,
    }
    assert not mallory.messages
    assert all(call.params.get("chat_id") != mallory.id for call in sim.requests)
    assert await _members(runtime) <= 1  # only the probe, never Mallory
    assert _rejected_in_log(caplog) == 5
    assert all(
        SECRET not in r.getMessage() and "guessed" not in r.getMessage() for r in caplog.records
    )


def _rejected_in_log(caplog: pytest.LogCaptureFixture) -> int:
    """How many rejections the webhook's log lines add up to."""
    lines = [r.getMessage() for r in caplog.records if r.name == "netcoach.webhook"]
    return sum(int(line.split()[0]) for line in lines if "rejected in the last minute" in line)


def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logged = [r for r in caplog.records if r.exc_info or r.levelno >= 40]
    assert not logged, [r.getMessage() for r in logged]


async def _raw_post(root: str, path: str, headers: bytes, body: bytes) -> int:
    """POST with header bytes exactly as given (no client would send them); the status."""
    host, port = root.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            b"POST "
            + path.encode()
            + b" HTTP/1.1\r\nHost: "
            + host.encode()
            + b"\r\n"
            + headers
            + b"Content-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + body
        )
        await writer.drain()
        status_line = await reader.readline()
        return int(status_line.split()[1])
    finally:
        writer.close()


async def test_headers_and_bodies_no_client_should_send_get_a_4xx_and_no_traceback(
    sim: TelegramSimulator, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    secret = f"{SECRET_HEADER}: {SECRET}\r\n".encode()
    update = b'{"update_id": 1, "message": {"message_id": 1}}'
    attempts = {
        # A secret header that is not UTF-8 (it was a 500 with a traceback).
        "secret not UTF-8": (f"{SECRET_HEADER}: ".encode() + b"\xff\xfe\r\n", update),
        "secret in Latin-1": (
            f"{SECRET_HEADER}: ".encode() + SECRET.encode() + b"\xe9\r\n",
            update,
        ),
        "control character in a header": (secret + b"X-Note: a\x01b\r\n", update),
        "body not UTF-8": (secret, b'{"update_id": 1, "x": "\xff"}'),
        "body nested too deep": (secret, b"[" * 100_000 + b"]" * 100_000),
        "body is a list": (secret, b"[1, 2, 3]"),
        "update without an id": (secret, b'{"message": {}}'),
        "update that is no update": (secret, b'{"update_id": 1, "message": "hello"}'),
        "body larger than an update": (
            secret,
            b'{"update_id": 1, "x": "' + b"a" * 2_000_000 + b'"}',
        ),
    }
    async with webhook_bot(sim, runtime) as (app, root):
        statuses = {
            name: await _raw_post(root, "/telegram/netcoach", headers, body)
            for name, (headers, body) in attempts.items()
        }
        # Still serving Telegram's own deliveries.
        await chat(sim.user("Probe", language_code="en"), "/help")
        metrics = app.bot_data.metrics.exposition().decode()

    assert statuses == {
        "secret not UTF-8": 400,
        "secret in Latin-1": 400,
        "control character in a header": 400,
        "body not UTF-8": 400,
        "body nested too deep": 400,
        "body is a list": 400,
        "update without an id": 400,
        "update that is no update": 400,
        "body larger than an update": 413,
    }
    _no_tracebacks(caplog)
    assert _rejected_in_log(caplog) == len(attempts)
    for reason, count in {
        "malformed_secret": 2,
        "malformed_request": 1,
        "not_json": 2,
        "not_an_update": 2,
        "unreadable_update": 1,
        "too_large": 1,
    }.items():
        assert f'netcoach_webhook_rejections_total{{reason="{reason}"}} {count}.0' in metrics


async def test_a_flood_of_rejected_requests_is_logged_once_a_minute_as_counts(
    sim: TelegramSimulator, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    async with webhook_bot(sim, runtime) as (app, root), aiohttp.ClientSession() as http:
        url = f"{root}/telegram/netcoach"
        for _ in range(11):
            async with http.post(url, json={"update_id": 1}, headers={SECRET_HEADER: "guess"}):
                pass
        async with http.post(url, data=b"not json", headers={SECRET_HEADER: SECRET}):
            pass
        # Within the minute: the first one at once, the rest wait for the minute's end.
        lines = [r.getMessage() for r in caplog.records if r.name == "netcoach.webhook"]
        assert [line for line in lines if "rejected" in line] == [
            "1 webhook request rejected in the last minute: wrong secret token 1"
        ]
        metrics = app.bot_data.metrics.exposition().decode()
    # On stopping, what was still counted is written out, in one line.
    lines = [r.getMessage() for r in caplog.records if r.name == "netcoach.webhook"]
    assert [line for line in lines if "rejected" in line][1:] == [
        "11 webhook requests rejected in the last minute: wrong secret token 10, body is not JSON 1"
    ]
    assert 'netcoach_webhook_rejections_total{reason="wrong_secret"} 11.0' in metrics
    assert 'netcoach_webhook_rejections_total{reason="not_json"} 1.0' in metrics


async def test_rejections_are_summed_up_at_most_once_per_interval() -> None:
    metrics = Metrics()
    rejections = RejectionLog(metrics, every=0.2)
    with _captured("netcoach.webhook") as lines:
        for _ in range(30):
            rejections.note(WebhookRejection.WRONG_SECRET)
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
    # 30 rejections over 0.6 s, logged every 0.2 s: the first, then two or three sums.
    assert 3 <= len(lines) <= 5
    assert sum(int(line.split()[0]) for line in lines) == 30


@contextmanager
def _captured(logger: str) -> Iterator[list[str]]:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Keep()
    logging.getLogger(logger).addHandler(handler)
    try:
        yield lines
    finally:
        logging.getLogger(logger).removeHandler(handler)


async def test_the_health_endpoint_answers_503_while_the_database_is_unreachable(
    sim: TelegramSimulator, runtime: Runtime, tmp_path: Path
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'netcoach.db'}")
    cut_off = replace(runtime, sessions=create_session_factory(engine))
    try:
        async with (
            webhook_bot(sim, cut_off) as (_app, root),
            aiohttp.ClientSession() as http,
            http.get(f"{root}/healthz") as health,
        ):
            assert health.status == 503
            assert (await health.json())["status"] == "database unavailable"
    finally:
        await engine.dispose()


def test_webhook_mode_without_a_secret_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NETCOACH_BOT_TOKEN", "123:ABC")
    monkeypatch.setenv("NETCOACH_WEBHOOK_URL", "https://bot.example.org/netcoach")
    assert main(["run"]) == 2
    assert "NETCOACH_WEBHOOK_SECRET" in capsys.readouterr().err


def test_a_secret_telegram_would_refuse_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NETCOACH_WEBHOOK_SECRET", "has spaces and ümlauts")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "NETCOACH_WEBHOOK_SECRET" in err and "ümlauts" not in err


def test_a_health_port_on_the_webhooks_own_port_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NETCOACH_BOT_TOKEN", "123:ABC")
    monkeypatch.setenv("NETCOACH_WEBHOOK_URL", "https://bot.example.org/netcoach")
    monkeypatch.setenv("NETCOACH_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("NETCOACH_HEALTH_PORT", "8443")  # the webhook's default port
    assert main(["run"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("netcoach: NETCOACH_HEALTH_PORT: ")


async def test_the_webhooks_healthz_and_the_health_ports_give_the_same_answer(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    health_root = f"http://127.0.0.1:{_free_port()}"
    port = int(health_root.rsplit(":", 1)[1])
    monitored = replace(runtime, settings=runtime.settings.model_copy(update={"health_port": port}))
    async with webhook_bot(sim, monitored) as (app, root), aiohttp.ClientSession() as http:
        answers = [await health(http, where) for where in (root, health_root)]
        assert [(code, body["status"]) for code, body in answers] == [(200, "ok")] * 2
        app.bot_data.health.mark_stopping()
        answers = [await health(http, where) for where in (root, health_root)]
        assert [(code, body["status"]) for code, body in answers] == [(503, "stopping")] * 2
        # Metrics are the health port's alone: the webhook faces the internet.
        async with http.get(f"{root}/metrics") as answer:
            assert answer.status in (404, 405)
