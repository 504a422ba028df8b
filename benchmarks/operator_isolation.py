"""Measure issue 12 rows 7-10: an operator's mistakes and Telegram's hiccups against `netcoach`.

    .venv/bin/python -m benchmarks.operator_isolation [--postgres URL] [--rounds 5]

Row 7: `python -m bot` started with one bad setting, an unusable database or a refused
token; prints the exit code, the lines on stderr and whether a traceback or the token
showed. Row 8: three `netcoach run` processes started together on a fresh database,
several rounds; prints how many came up (their /healthz answered 200). Row 9: the bot
against a Bot API server that answers 404 or 500 to all but the essential methods;
prints whether members got answers and when the menu was set once the server allowed
it. Row 10: the webhook fed a non-UTF-8 secret header and a flood of wrong secrets;
prints the statuses, the log lines written, and the database statements 100 /healthz
requests caused.

The child processes get this process's PYTHONPATH, so the same script measures another
checkout: `PYTHONPATH=/path/to/old/checkout python -m benchmarks.operator_isolation`.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import os
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import make_url

__all__ = ["main"]

TOKEN_MARK = "SECRETtokenPART"
KEY = "q" * 43


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(**settings: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    env |= {f"NETCOACH_{name.upper()}": value for name, value in settings.items()}
    return env


async def _run_briefly(args: list[str], env: dict[str, str], cwd: Path, wait: float) -> str:
    """Run `python -m bot ARGS`; one line: exit code (or still running), stderr, traceback."""
    log = cwd / "stderr.txt"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            env=env,
            cwd=cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            await asyncio.wait_for(process.wait(), timeout=wait)
            outcome = f"exit {process.returncode}"
        except TimeoutError:
            process.kill()
            await process.wait()
            outcome = f"accepted (still running after {wait:g} s)"
    err = log.read_bytes()
    text = err.decode(errors="replace")
    lines = text.strip().splitlines()
    last = lines[-1][:110] if lines else ""
    return (
        f"{outcome}; {len(lines)} stderr line(s); traceback: {'Traceback' in text}; "
        f"token shown: {TOKEN_MARK in text}; last: {last}"
    )


async def row_7(postgres: str | None) -> None:
    """Bad settings, unusable databases and a refused token at start-up."""
    from simulator import TelegramSimulator

    print("\n## Row 7: start-up with one mistake")
    async with TelegramSimulator() as sim:
        with tempfile.TemporaryDirectory() as scratch:
            cwd = Path(scratch)
            database = f"sqlite+aiosqlite:///{cwd / 'netcoach.db'}"
            good = {
                "bot_token": sim.token,
                "api_base_url": sim.base_url,
                "database_url": database,
                "encryption_key": KEY,
            }
            closed = _free_port()
            cases: list[tuple[str, list[str], dict[str, str]]] = [
                ("QUIET_HOURS=25:99-07:00", ["run"], good | {"quiet_hours": "25:99-07:00"}),
                ("ENCRYPTION_KEY=not-a-key", ["run"], good | {"encryption_key": "not-a-key"}),
                (
                    "WEBHOOK_SECRET=a (1 character)",
                    ["run"],
                    good
                    | {
                        "webhook_url": f"http://127.0.0.1:{_free_port()}/hook",
                        "webhook_secret": "a",
                    },
                ),
                (
                    "SQLite file in a missing directory",
                    ["run"],
                    good | {"database_url": f"sqlite+aiosqlite:///{cwd / 'missing' / 'x.db'}"},
                ),
                (
                    "SQLite file in /proc (unwritable)",
                    ["run"],
                    good | {"database_url": "sqlite+aiosqlite:////proc/netcoach.db"},
                ),
                (
                    "PostgreSQL not running (closed port)",
                    ["run"],
                    good | {"database_url": f"postgresql+asyncpg://u:pw@127.0.0.1:{closed}/x"},
                ),
                (
                    "db upgrade, SQLite file in a missing directory",
                    ["db", "upgrade"],
                    good | {"database_url": f"sqlite+aiosqlite:///{cwd / 'missing' / 'x.db'}"},
                ),
                (
                    "keys rotate, PostgreSQL not running",
                    ["keys", "rotate", "--new", KEY],
                    good | {"database_url": f"postgresql+asyncpg://u:pw@127.0.0.1:{closed}/x"},
                ),
                (
                    "token refused by the Bot API (401)",
                    ["run"],
                    good | {"bot_token": f"123456:{TOKEN_MARK}"},
                ),
            ]
            if postgres is not None:
                cases += [
                    (
                        "PostgreSQL, unknown user",
                        ["run"],
                        good
                        | {
                            "database_url": make_url(postgres)
                            .set(username="nobody_here")
                            .render_as_string(hide_password=False)
                        },
                    ),
                    (
                        "PostgreSQL, missing database",
                        ["run"],
                        good
                        | {
                            "database_url": make_url(postgres)
                            .set(database="netcoach_never_created")
                            .render_as_string(hide_password=False)
                        },
                    ),
                ]
            for name, args, settings in cases:
                print(f"- {name}: {await _run_briefly(args, _env(**settings), cwd, wait=15)}")


async def _fresh_postgres(server: str) -> str:
    name = f"netcoach_race_{uuid.uuid4().hex[:12]}"
    dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres(server: str, url: str) -> None:
    dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await admin.close()


async def _came_up(process: asyncio.subprocess.Process, port: int, deadline: float) -> bool:
    """Whether /healthz on `port` answered 200 before the process exited or time ran out."""
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and process.returncode is None:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    if answer.status == 200:
                        return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    return False


async def row_8(postgres: str | None, rounds: int) -> None:
    """Three `netcoach run` processes started together on a fresh database."""
    from simulator import TelegramSimulator

    print("\n## Row 8: three `netcoach run` at once on a fresh database")
    backends = ["sqlite"] + (["postgresql"] if postgres else [])
    for backend in backends:
        results = []
        for _ in range(rounds):
            with tempfile.TemporaryDirectory() as scratch:
                cwd = Path(scratch)
                if backend == "sqlite":
                    url = f"sqlite+aiosqlite:///{cwd / 'netcoach.db'}"
                else:
                    assert postgres is not None
                    url = await _fresh_postgres(postgres)
                async with TelegramSimulator() as sim:
                    ports = [_free_port() for _ in range(3)]
                    processes = [
                        await asyncio.create_subprocess_exec(
                            sys.executable,
                            "-m",
                            "bot",
                            "run",
                            "--dispatch-only",
                            env=_env(
                                bot_token=sim.token,
                                api_base_url=sim.base_url,
                                database_url=url,
                                encryption_key=KEY,
                                health_port=str(port),
                            ),
                            cwd=cwd,
                            stdout=asyncio.subprocess.DEVNULL,
                            stderr=asyncio.subprocess.DEVNULL,
                        )
                        for port in ports
                    ]
                    deadline = time.monotonic() + 60
                    up = await asyncio.gather(
                        *(
                            _came_up(p, port, deadline)
                            for p, port in zip(processes, ports, strict=True)
                        )
                    )
                    for process in processes:
                        if process.returncode is None:
                            process.kill()
                        await process.wait()
                if backend == "postgresql":
                    assert postgres is not None
                    await _drop_postgres(postgres, url)
                results.append(sum(up))
        print(f"- {backend}: processes up per round (of 3): {results}")


def _supports(function: Any, parameter: str) -> bool:
    return parameter in inspect.signature(function).parameters


@asynccontextmanager
async def _runtime(database_url: str) -> AsyncIterator[Any]:
    from bot.clock import SystemClock
    from bot.settings import Settings
    from bot.wiring import runtime_on
    from storage.engine import create_engine
    from storage.migrate import upgrade_database

    await upgrade_database(database_url)
    engine = create_engine(database_url)
    try:
        settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
        yield runtime_on(engine, settings, SystemClock())
    finally:
        await engine.dispose()


async def row_9() -> None:
    """The bot against a Bot API server that knows only the essential methods."""
    from bot.runner import running_bot
    from simulator import ESSENTIAL_METHODS, TelegramSimulator

    print("\n## Row 9: a Bot API server answering 404/500 to all but the essential methods")
    extra = {"dressing_first_retry": 1.0} if _supports(running_bot, "dressing_first_retry") else {}
    first_retry = f"{extra['dressing_first_retry']:g} s" if extra else "none"
    for status in (404, 500):
        with tempfile.TemporaryDirectory() as scratch:
            url = f"sqlite+aiosqlite:///{Path(scratch) / 'netcoach.db'}"
            async with _runtime(url) as runtime, TelegramSimulator() as sim:
                sim.faults.answer_only(ESSENTIAL_METHODS, status=status)
                started = time.monotonic()
                try:
                    async with running_bot(
                        runtime, token=sim.token, base_url=sim.base_url, poll_timeout=1, **extra
                    ):
                        nora = sim.user("Nora", language_code="de")
                        await nora.send("/start")
                        await nora.next_message(timeout=10)
                        answered = time.monotonic() - started
                        await nora.send("/help")
                        await nora.next_message(timeout=10)
                        refused = sum(1 for r in sim.requests_for("setMyCommands"))
                        sim.faults.answer_only(None)
                        allowed = time.monotonic()
                        menu = "not set within 10 s"
                        while time.monotonic() - allowed < 10:
                            if sim.commands({"type": "all_private_chats"}, "de"):
                                menu = f"set {time.monotonic() - allowed:.1f} s after"
                                break
                            await asyncio.sleep(0.05)
                    print(
                        f"- {status}: bot up, /start answered {answered:.2f} s after start, "
                        f"/help answered; menu refused {refused} time(s) meanwhile, {menu} "
                        f"the server allowed it (first retry here: {first_retry})"
                    )
                except Exception as problem:
                    print(f"- {status}: the bot did not start: {type(problem).__name__}: {problem}")


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record)


async def _raw_status(port: int, headers: bytes, body: bytes) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + headers
            + b"Content-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + body
        )
        await writer.drain()
        return int((await reader.readline()).split()[1])
    finally:
        writer.close()


async def row_10(flood: int) -> None:
    """The webhook fed what no client should send, and a flood of wrong secrets."""
    from bot.runner import running_bot
    from simulator import TelegramSimulator

    print("\n## Row 10: webhook")
    secret = "w" * 32
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'netcoach.db'}"
        async with _runtime(url) as runtime, TelegramSimulator() as sim:
            port = _free_port()
            settings = runtime.settings.model_copy(
                update={
                    "webhook_url": f"http://127.0.0.1:{port}/hook",
                    "webhook_secret": SecretStr(secret),
                    "webhook_port": port,
                }
            )
            catcher = _Lines()
            root = logging.getLogger()
            root.addHandler(catcher)
            root.setLevel(logging.INFO)
            statements = 0

            def count(*_args: Any) -> None:
                nonlocal statements
                statements += 1

            try:
                async with running_bot(
                    replace(runtime, settings=settings),
                    token=sim.token,
                    base_url=sim.base_url,
                    mode="webhook",
                ):
                    name = b"X-Telegram-Bot-Api-Secret-Token: "
                    update = b'{"update_id": 1}'
                    statuses = {
                        "non-UTF-8 secret": await _raw_status(port, name + b"\xff\xfe\r\n", update),
                        "control character in a header": await _raw_status(
                            port, name + secret.encode() + b"\r\nX-A: a\x01b\r\n", update
                        ),
                        "JSON nested 100,000 deep": await _raw_status(
                            port, name + secret.encode() + b"\r\n", b"[" * 100_000 + b"]" * 100_000
                        ),
                    }
                    started = time.monotonic()
                    async with aiohttp.ClientSession() as http:
                        for _ in range(flood):
                            async with http.post(
                                f"http://127.0.0.1:{port}/hook",
                                json={"update_id": 1},
                                headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
                            ):
                                pass
                        took = time.monotonic() - started
                        event.listen(runtime_engine(runtime), "before_cursor_execute", count)
                        for _ in range(100):
                            async with http.get(f"http://127.0.0.1:{port}/healthz"):
                                pass
                        event.remove(runtime_engine(runtime), "before_cursor_execute", count)
            finally:
                root.removeHandler(catcher)
            tracebacks = sum(1 for record in catcher.lines if record.exc_info)
            rejected = [
                record.getMessage()
                for record in catcher.lines
                if record.name == "netcoach.webhook" and "rejected" in record.getMessage()
            ]
            print(f"- statuses: {statuses}; log records with a traceback: {tracebacks}")
            print(
                f"- then {flood} wrong-secret POSTs in {took:.1f} s; log lines about the "
                f"{flood + len(statuses)} rejections, until the bot stopped: {len(rejected)}; "
                f"the last: {rejected[-1:]}"
            )
            print(f"- 100 GET /healthz: {statements} database statement(s) meanwhile")


def runtime_engine(runtime: Any) -> Any:
    """The sync engine behind the runtime's session factory (for counting statements)."""
    return runtime.sessions.kw["bind"].sync_engine


async def _main(args: argparse.Namespace) -> None:
    print(f"python -m benchmarks.operator_isolation; PYTHONPATH={os.environ.get('PYTHONPATH', '')}")
    await row_7(args.postgres)
    await row_8(args.postgres, args.rounds)
    await row_9()
    await row_10(args.flood)


def main() -> None:
    """Run every row and print what happened."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("NETCOACH_TEST_POSTGRES_URL"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--flood", type=int, default=1000)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
