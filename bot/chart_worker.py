"""Pictures drawn in a small child process, so matplotlib never loads into the bot.

Drawn in the bot, matplotlib cost ~60 MiB on the first picture, and each figure's
reference cycles kept its pixel buffers until a full garbage collection: +120 MiB after
thirty pictures; collecting after each picture cost 40-90 ms of the event loop's time.
Here one child draws one picture at a time and collects after each; it is replaced after
`pictures_per_worker` pictures (should anything grow all the same), ends when idle for
`idle_seconds`, and is started again if it dies. The bot waits for the answer on a pipe,
so drawing takes neither its memory nor its interpreter lock.

The protocol is length-prefixed pickles over the child's stdin and stdout; both ends are
this module, and nothing else writes to those pipes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import pickle
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from bot.charts import ProgressChart, WeeklyBarsChart

__all__ = ["ChartDrawer", "ChartWorker", "ChartWorkerError", "main"]

log = logging.getLogger("netcoach")

_HEADER_BYTES = 4
_STOP_GRACE_SECONDS = 5.0


class ChartWorkerError(RuntimeError):
    """A picture could not be drawn (the worker failed, died twice or took too long)."""


class ChartDrawer(Protocol):
    """What draws the bot's pictures (the worker, or a fake in tests)."""

    async def progress_png(self, chart: ProgressChart) -> bytes:
        """A member's progress picture."""
        ...

    async def network_png(self, chart: WeeklyBarsChart) -> bytes:
        """Operators' weekly picture."""
        ...

    async def close(self) -> None:
        """Let go of whatever draws."""
        ...


def _frame(payload: object) -> bytes:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(_HEADER_BYTES, "big") + data


class ChartWorker:
    """Draws pictures in one child process at a time; see the module's docstring."""

    def __init__(
        self,
        *,
        pictures_per_worker: int = 50,
        idle_seconds: float = 120.0,
        timeout_seconds: float = 60.0,
        cache_dir: Path | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        self.pictures_per_worker = pictures_per_worker
        self.idle_seconds = idle_seconds
        self.timeout_seconds = timeout_seconds
        self._command = list(command or [sys.executable, "-m", "bot.chart_worker"])
        self._environment = dict(os.environ, MPLBACKEND="Agg")
        if cache_dir is not None and "MPLCONFIGDIR" not in os.environ:
            # matplotlib keeps its font list there; without a writable place it builds the
            # list again in every new worker.
            self._environment["MPLCONFIGDIR"] = str(cache_dir / "matplotlib")
        self._lock = asyncio.Lock()
        self._process: asyncio.subprocess.Process | None = None
        self._drawn_by_this_worker = 0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._retiring: asyncio.Task[None] | None = None
        self.workers_started = 0

    @property
    def worker_pid(self) -> int | None:
        """The running worker's process id, if one is running."""
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    async def progress_png(self, chart: ProgressChart) -> bytes:
        """A member's progress picture as PNG bytes."""
        return await self._draw("progress", chart)

    async def network_png(self, chart: WeeklyBarsChart) -> bytes:
        """Operators' weekly picture as PNG bytes."""
        return await self._draw("network", chart)

    async def close(self) -> None:
        """Stop the worker (it finishes the picture in hand first)."""
        self._cancel_idle_timer()
        async with self._lock:
            await self._stop()

    async def _draw(self, kind: str, chart: object) -> bytes:
        async with self._lock:
            self._cancel_idle_timer()
            try:
                status, payload = await self._ask_with_one_restart(_frame((kind, chart)))
            finally:
                if self._process is not None:
                    self._arm_idle_timer()
        if status != "png" or not isinstance(payload, bytes):
            raise ChartWorkerError(f"the chart worker could not draw a {kind} picture: {payload}")
        return payload

    async def _ask_with_one_restart(self, request: bytes) -> tuple[str, object]:
        for attempt in (1, 2):
            process = await self._running_worker()
            try:
                async with asyncio.timeout(self.timeout_seconds):
                    reply = await self._ask(process, request)
            except (ConnectionError, asyncio.IncompleteReadError) as died:
                log.warning("the chart worker died (%s); starting another", died)
                await self._stop(kill=True)
                if attempt == 2:
                    raise ChartWorkerError("the chart worker died twice in a row") from died
                continue
            except TimeoutError:
                await self._stop(kill=True)
                raise ChartWorkerError(
                    f"the chart worker took more than {self.timeout_seconds:g} s"
                ) from None
            except BaseException:
                # Cancelled mid-picture: the pipe is out of step, so this worker goes.
                await self._stop(kill=True)
                raise
            self._drawn_by_this_worker += 1
            if self._drawn_by_this_worker >= self.pictures_per_worker:
                await self._stop()
            return reply
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    async def _ask(self, process: asyncio.subprocess.Process, request: bytes) -> tuple[str, Any]:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(request)
        await process.stdin.drain()
        header = await process.stdout.readexactly(_HEADER_BYTES)
        data = await process.stdout.readexactly(int.from_bytes(header, "big"))
        status, payload = pickle.loads(data)
        return str(status), payload

    async def _running_worker(self) -> asyncio.subprocess.Process:
        process = self._process
        if process is not None and process.returncode is None:
            return process
        if process is not None:
            await self._stop(kill=True)
        self._process = await asyncio.create_subprocess_exec(
            *self._command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=self._environment,
        )
        self._drawn_by_this_worker = 0
        self.workers_started += 1
        return self._process

    async def _stop(self, *, kill: bool = False) -> None:
        """End the worker: by closing its input (it exits), or at once."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            if process is not None:
                await process.wait()
            return
        if not kill and process.stdin is not None:
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), _STOP_GRACE_SECONDS)
                return
            except TimeoutError:
                pass
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _arm_idle_timer(self) -> None:
        self._cancel_idle_timer()
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_later(self.idle_seconds, self._retire_when_idle)

    def _retire_when_idle(self) -> None:
        self._idle_timer = None
        self._retiring = asyncio.ensure_future(self._retire())

    async def _retire(self) -> None:
        async with self._lock:
            # A picture asked for since the timer fired armed a new timer: stay.
            if self._idle_timer is None:
                await self._stop()


def _drawers() -> Mapping[str, Callable[[Any], bytes]]:
    from bot.charts import network_chart_png, progress_chart_png

    return {"progress": progress_chart_png, "network": network_chart_png}


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """The worker's loop: one picture per request until the input ends."""
    drawers = _drawers()
    while True:
        header = requests.read(_HEADER_BYTES)
        if len(header) < _HEADER_BYTES:
            return
        kind, chart = pickle.loads(requests.read(int.from_bytes(header, "big")))
        reply: tuple[str, object]
        try:
            reply = ("png", drawers[kind](chart))
        except Exception as problem:  # The bot hears of it and says so; this worker stays.
            reply = ("error", f"{type(problem).__name__}: {problem}")
        # A figure's cycles hold its pixel buffers; free them now, not at some later pass.
        gc.collect()
        replies.write(_frame(reply))
        replies.flush()


def main() -> int:
    """`python -m bot.chart_worker`: serve pictures on stdin/stdout."""
    replies = sys.stdout.buffer
    # Anything a library prints goes to stderr, never into the replies.
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
