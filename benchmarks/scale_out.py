"""Benchmark: N `netcoach run --dispatch-only` processes on one database, one shared ceiling.

    .venv/bin/python -m benchmarks.scale_out [--processes 1,2] [--members 10000] [--rate 30]
        [--paid] [--database postgres|sqlite|URL] [--logs DIR]

For each process count: a fresh database and a fresh simulator (a child process of its
own, enforcing Telegram's free ceiling `--rate` and, for messages sent with
`allow_paid_broadcast`, 1,000 a second), N worker processes started as an operator
starts them (`python -m bot run --dispatch-only`, each with the health port on), and
once all of them answer /healthz, `--members` members due at once. The run ends when
every member has had their prompt. `--paid` turns on NETCOACH_PAID_BROADCAST.

Printed per process count: the rate while sending (the simulator's first to last send)
as a share of the ceiling (1,000 a second with `--paid`), 429s, the most messages in any
one-second window, the workers' CPU per prompt and the database's (PostgreSQL backends
serving the scratch database; read from /proc), the busiest worker's share of one core,
and the machine's busy share of all its cores while the workers sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

__all__ = ["main"]

PAID_CEILING = 1000
_TICKS = os.sysconf("SC_CLK_TCK")


def _simulator(rate: float, conn: Connection) -> None:
    """Child process: serve the simulator; answer "users N", "stats" and "stop" over the pipe."""
    import resource

    from simulator import RecordedRequest, TelegramSimulator

    # CLOCK_MONOTONIC is one clock for every process on the machine.
    sends: list[float] = []

    def on_request(request: RecordedRequest) -> None:
        if request.method == "sendMessage" and request.ok:
            sends.append(time.monotonic())

    async def serve() -> None:
        async with TelegramSimulator(
            global_rate=rate, paid_broadcast_rate=PAID_CEILING, record_requests=False
        ) as sim:
            sim.on_request(on_request)
            conn.send(sim.port)
            loop = asyncio.get_running_loop()
            while True:
                while not await loop.run_in_executor(None, conn.poll, 0.1):
                    pass
                command, argument = conn.recv()
                if command == "users":
                    for n in range(argument):
                        sim.user(f"M{n}", user_id=1_000_000 + n)
                    conn.send("ready")
                elif command == "stats":
                    stats = sim.stats
                    usage = resource.getrusage(resource.RUSAGE_SELF)
                    conn.send(
                        {
                            "sent": stats.sent_messages,
                            "paid": stats.paid_messages,
                            "429": stats.too_many_requests,
                            "max_per_second": stats.max_per_second,
                            "max_free_per_second": stats.max_free_per_second,
                            "first_send": sends[0] if sends else float("nan"),
                            "last_send": sends[-1] if sends else float("nan"),
                            "cpu": usage.ru_utime + usage.ru_stime,
                            "per_second": _per_second(sends),
                        }
                    )
                else:
                    conn.send("bye")
                    return

    asyncio.run(serve())


def _per_second(sends: list[float]) -> list[int]:
    """Messages in each second from the first send on."""
    counts: list[int] = []
    for moment in sends:
        second = int(moment - sends[0])
        counts.extend([0] * (second + 1 - len(counts)))
        counts[second] += 1
    return counts


def _cpu_seconds(pid: int) -> float:
    """CPU (user + system) a process has used so far, from /proc (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _machine_busy() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / _TICKS, sum(values) / _TICKS


def _tracebacks(logs: Path) -> int:
    """How many workers logged a traceback."""
    return sum("Traceback" in log.read_text() for log in logs.glob("worker-*.log"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def _scratch_database(database: str) -> AsyncIterator[str]:
    """A migrated database for one run, dropped afterwards."""
    from storage.migrate import upgrade_database
    from tests.support.databases import create_postgres_database, drop_postgres_database

    if database == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite+aiosqlite:///{directory}/bench.db"
            await upgrade_database(url)
            yield url
        return
    url = await create_postgres_database(database)
    try:
        yield url
    finally:
        await drop_postgres_database(database, url)


async def _database_backends_cpu(url: str) -> float:
    """CPU the PostgreSQL backends serving `url`'s database have used (0 on SQLite)."""
    if not url.startswith("postgresql"):
        return 0.0
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        pids = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            parsed.database,
        )
    finally:
        await connection.close()
    return sum(_cpu_seconds(row["pid"]) for row in pids)


async def _healthy(port: int, deadline: float) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"the worker on health port {port} did not come up")


def _ask(conn: Connection, command: str, argument: Any = None) -> Any:
    conn.send((command, argument))
    return conn.recv()


async def _run(
    processes: int, members: int, rate: float, paid: bool, database: str, keep_logs: str | None
) -> dict[str, Any]:
    from bot.clock import SystemClock
    from bot.domain.runtime import Runtime
    from bot.settings import Settings
    from content.cards import load_cards
    from storage.engine import create_engine, create_session_factory
    from tests.support.members import add_members

    parent, child = multiprocessing.Pipe()
    simulator = multiprocessing.get_context("spawn").Process(
        target=_simulator, args=(rate, child), daemon=True
    )
    simulator.start()
    port = parent.recv()
    _ask(parent, "users", members)
    workers: list[asyncio.subprocess.Process] = []
    with tempfile.TemporaryDirectory() as scratch:
        logs = Path(keep_logs or scratch) / f"{processes}-processes"
        logs.mkdir(parents=True, exist_ok=True)
        async with _scratch_database(database) as url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("NETCOACH_")}
            env |= {
                "NETCOACH_BOT_TOKEN": "123:TEST",
                "NETCOACH_API_BASE_URL": f"http://127.0.0.1:{port}/bot",
                "NETCOACH_DATABASE_URL": url,
                "NETCOACH_TICK_SECONDS": "0.2",
                "NETCOACH_MAX_MESSAGES_PER_SECOND": str(rate),
                "NETCOACH_PAID_BROADCAST": "true" if paid else "false",
            }
            ports = [_free_port() for _ in range(processes)]
            try:
                for number, health in enumerate(ports):
                    with (logs / f"worker-{number}.log").open("wb") as log:
                        workers.append(
                            await asyncio.create_subprocess_exec(
                                sys.executable,
                                "-m",
                                "bot",
                                "run",
                                "--dispatch-only",
                                env=env | {"NETCOACH_HEALTH_PORT": str(health)},
                                cwd=logs,
                                stdout=asyncio.subprocess.DEVNULL,
                                stderr=log,
                            )
                        )
                deadline = time.monotonic() + 60
                await asyncio.gather(*(_healthy(health, deadline) for health in ports))
                engine = create_engine(url)
                runtime = Runtime(
                    sessions=create_session_factory(engine),
                    clock=SystemClock(),
                    settings=Settings(database_url=url, _env_file=None),  # type: ignore[call-arg]
                    curriculum=load_cards(),
                )
                cpu_before = [_cpu_seconds(worker.pid) for worker in workers]
                busy_before = _machine_busy()
                database_before = await _database_backends_cpu(url)
                await add_members(
                    runtime,
                    [1_000_000 + n for n in range(members)],
                    next_prompt_at=datetime.now(UTC),
                )
                due_at = time.monotonic()
                await engine.dispose()
                stats = _ask(parent, "stats")
                simulator_before = stats["cpu"]
                while stats["sent"] < members:
                    if time.monotonic() - due_at > 60 + 3 * members / min(rate, 100):
                        raise TimeoutError(f"only {stats['sent']} of {members} delivered")
                    await asyncio.sleep(0.5)
                    stats = _ask(parent, "stats")
                cpu_after = [_cpu_seconds(worker.pid) for worker in workers]
                busy_after = _machine_busy()
                database_after = await _database_backends_cpu(url)
            finally:
                for worker in workers:
                    if worker.returncode is None:
                        worker.terminate()
                for worker in workers:
                    await worker.wait()
            tracebacks = _tracebacks(logs)
    _ask(parent, "stop")
    simulator.join(5)
    delivered = stats["sent"]
    sending = stats["last_send"] - stats["first_send"]
    rate_while_sending = (delivered - 1) / sending if sending > 0 else float("nan")
    ceiling = PAID_CEILING if paid else rate
    worker_cpu = [after - before for before, after in zip(cpu_before, cpu_after, strict=True)]
    wall = stats["last_send"] - due_at
    busy = busy_after[0] - busy_before[0]
    total = busy_after[1] - busy_before[1]
    return {
        "processes": processes,
        "database": "sqlite" if database == "sqlite" else "postgresql",
        "ceiling": f"{ceiling:g}/s" + (f" (paid; free {rate:g}/s)" if paid else ""),
        "delivered": delivered,
        "paid_messages": stats["paid"],
        "due_to_last_send_s": round(wall, 2),
        "due_to_first_send_s": round(stats["first_send"] - due_at, 2),
        "rate_while_sending": round(rate_while_sending, 1),
        "share_of_ceiling": f"{100 * rate_while_sending / ceiling:.1f} %",
        "429s": stats["429"],
        "peak_per_second": stats["max_per_second"],
        "peak_free_per_second": stats["max_free_per_second"],
        "worker_cpu_ms_per_prompt": round(1000 * sum(worker_cpu) / max(1, delivered), 2),
        "busiest_worker_core_share": f"{100 * max(worker_cpu) / wall:.0f} %",
        "database_cpu_ms_per_prompt": round(
            1000 * (database_after - database_before) / max(1, delivered), 2
        ),
        "simulator_cpu_ms_per_prompt": round(
            1000 * (stats["cpu"] - simulator_before) / max(1, delivered), 2
        ),
        "machine_busy": f"{100 * busy / total:.0f} % of {os.cpu_count()} cores",
        "worker_tracebacks": tracebacks,
        "sends_each_second": stats["per_second"] if len(stats["per_second"]) <= 40 else "…",
    }


def main(argv: list[str] | None = None) -> int:
    """Run the scale-out benchmark for each process count and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2", help="process counts, e.g. 1,2,3")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=30.0, help="the free ceiling")
    parser.add_argument("--paid", action="store_true", help="NETCOACH_PAID_BROADCAST=true")
    parser.add_argument(
        "--database",
        default="postgres",
        help="postgres (NETCOACH_TEST_POSTGRES_URL's server), sqlite, or a PostgreSQL URL",
    )
    parser.add_argument("--logs", help="a directory to keep the workers' logs in")
    args = parser.parse_args(argv)
    if args.database == "postgres":
        args.database = os.environ.get("NETCOACH_TEST_POSTGRES_URL", "")
        if not args.database:
            parser.error("--database postgres needs NETCOACH_TEST_POSTGRES_URL")
    counts = [int(count) for count in args.processes.split(",")]
    results = [
        asyncio.run(_run(count, args.members, args.rate, args.paid, args.database, args.logs))
        for count in counts
    ]
    for key in results[0]:
        print(f"{key:>28}: " + " | ".join(str(result[key]) for result in results))
    print("reproduce:", " ".join([".venv/bin/python -m benchmarks.scale_out", *sys.argv[1:]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
