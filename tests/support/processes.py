"""`netcoach run` as separate processes, and a proxy that tells their requests apart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.clock import SystemClock
from bot.domain.runtime import Runtime
from bot.settings import Settings
from content.cards import load_cards
from simulator import TelegramSimulator
from storage.engine import create_engine, create_session_factory

__all__ = ["CountingProxy", "live_runtime", "netcoach", "netcoach_process", "wait_until"]


@asynccontextmanager
async def live_runtime(database_url: str) -> AsyncIterator[Runtime]:
    """A runtime on `database_url` with the real clock, as `netcoach run` processes have."""
    engine = create_engine(database_url)
    try:
        yield Runtime(
            sessions=create_session_factory(engine),
            clock=SystemClock(),
            settings=Settings(database_url=database_url, _env_file=None),  # type: ignore[call-arg]
            curriculum=load_cards(),
        )
    finally:
        await engine.dispose()


async def wait_until(condition: object, *, timeout: float, every: float = 0.05) -> None:
    """Poll a zero-argument callable until it returns true, or fail after `timeout` seconds."""
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        await asyncio.sleep(every)


def netcoach(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` to its end with exactly `env`, as an operator's shell would.

    Call it through `asyncio.to_thread` from a test that runs the bot's loop meanwhile.
    """
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@asynccontextmanager
async def netcoach_process(
    sim: TelegramSimulator,
    database_url: str,
    log: Path,
    *args: str,
    base_url: str | None = None,
    **settings: str,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start `python -m bot run ARGS` against the simulator; SIGKILL it if still alive at the end.

    Keyword arguments become `NETCOACH_<NAME>` variables.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("NETCOACH_")}
    env |= {
        "NETCOACH_BOT_TOKEN": sim.token,
        "NETCOACH_API_BASE_URL": base_url or sim.base_url,
        "NETCOACH_DATABASE_URL": database_url,
    }
    env |= {f"NETCOACH_{name.upper()}": value for name, value in settings.items()}
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            *args,
            env=env,
            cwd=log.parent,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
            await process.wait()


class CountingProxy:
    """A loopback HTTP proxy in front of the simulator that counts the methods called through it."""

    def __init__(self, sim: TelegramSimulator) -> None:
        self._target = sim.url
        self.calls: Counter[str] = Counter()
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        self._session: aiohttp.ClientSession | None = None

    @property
    def base_url(self) -> str:
        """Bot API base URL that goes through this proxy."""
        return f"http://127.0.0.1:{self._runner.addresses[0][1]}/bot"

    async def __aenter__(self) -> CountingProxy:
        self._session = aiohttp.ClientSession()
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        self.calls[request.path.rsplit("/", 1)[-1].lower()] += 1
        headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
        async with self._session.request(
            request.method,
            self._target + request.path_qs,
            data=await request.read(),
            headers=headers,
        ) as answer:
            body = await answer.read()
            return web.Response(status=answer.status, body=body, content_type=answer.content_type)
