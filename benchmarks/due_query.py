"""Benchmark: the due-work claim at 10,000 and 1,000,000 members, SQLite and PostgreSQL.

    .venv/bin/python -m benchmarks.due_query [--members 10000 1000000] [--database sqlite postgres]

For each size the users table gets that many onboarded members, cloned in bulk from one
template row (`INSERT … SELECT` over a recursive CTE on SQLite, `generate_series` on
PostgreSQL): 500 are due, the rest are due in the coming week. Then the dispatcher's own
query (`storage.deliveries.claim_due_users`, limit 500, locked) runs 20 times, each in a
transaction rolled back afterwards, and its median time is printed with the plan the
database chose for exactly the SQL the application sent. `postgres` means the server in
`NETCOACH_TEST_POSTGRES_URL`; a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url

__all__ = ["main"]

DUE = 500
RUNS = 20
FIRST_ID = 1_000_000


async def _fill(url: str, members: int, now: datetime) -> None:
    """`members` users: DUE of them due a minute ago, the others spread over the next week."""
    from bot.clock import SystemClock
    from bot.settings import Settings
    from bot.wiring import open_runtime
    from storage.models import User
    from tests.support.members import add_members

    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    async with open_runtime(settings, SystemClock()) as runtime:
        await add_members(runtime, [FIRST_ID], next_prompt_at=now - timedelta(minutes=1))
        async with runtime.sessions.begin() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            columns = [c.name for c in User.__table__.columns if c.name != "id"]
            # Members after the first DUE are due n minutes from now (about a week's spread).
            later = (
                "CASE WHEN n <= :due THEN next_prompt_at"
                " ELSE next_prompt_at + (n % 10080) * interval '1 minute' END"
                if postgres
                else "CASE WHEN n <= :due THEN next_prompt_at ELSE :later END"
            )
            chosen = ", ".join(
                f"{FIRST_ID} + n"
                if c in ("telegram_id", "chat_id")
                else (later if c == "next_prompt_at" else c)
                for c in columns
            )
            numbers = (
                "generate_series(1, :count) AS s(n)"
                if postgres
                else "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL "
                "SELECT n + 1 FROM s WHERE n < :count) SELECT n FROM s) AS s"
            )
            params: dict[str, Any] = {"count": members - 1, "due": DUE - 1, "first": FIRST_ID}
            if not postgres:
                # SQLite keeps datetimes as text: the template's own format, a week on.
                stored = (
                    await session.execute(
                        text("SELECT next_prompt_at FROM users WHERE telegram_id = :first"),
                        params,
                    )
                ).scalar_one()
                params["later"] = str(stored).replace(
                    str(stored)[:10], (now + timedelta(days=3)).strftime("%Y-%m-%d"), 1
                )
            await session.execute(
                text(
                    f"INSERT INTO users ({', '.join(columns)}) SELECT {chosen} FROM {numbers}, "
                    "(SELECT * FROM users WHERE telegram_id = :first) AS template"
                ),
                params,
            )
        async with runtime.sessions() as session:
            await session.execute(text("ANALYZE"))
            await session.commit()


async def _time_claims(url: str, now: datetime) -> dict[str, Any]:
    """Median time of the dispatcher's claim, and the plan for the SQL it sent."""
    from storage.deliveries import claim_due_users
    from storage.engine import create_engine, create_session_factory

    engine = create_engine(url)
    sent: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "FROM users" in statement:
            sent.append((statement, parameters))

    sessions = create_session_factory(engine)
    timings = []
    try:
        for _ in range(RUNS):
            async with sessions() as session:
                started = time.perf_counter()
                claimed = await claim_due_users(session, now, DUE)
                timings.append(time.perf_counter() - started)
                assert len(claimed) == DUE, len(claimed)
                await session.rollback()
        statement, parameters = sent[-1]
        async with engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            if postgres:
                rows = await driver.fetch("EXPLAIN ANALYZE " + statement, *parameters)
                plan = [row[0] for row in rows]
            else:
                cursor = await driver.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                plan = [row[-1] for row in await cursor.fetchall()]
    finally:
        await engine.dispose()
    return {"median_ms": round(1000 * statistics.median(timings), 2), "plan": plan}


async def _one(database: str, members: int) -> dict[str, Any]:
    from tests.support.databases import create_postgres_database, drop_postgres_database

    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as directory:
        created = None
        if database == "sqlite":
            url = f"sqlite+aiosqlite:///{directory}/due.db"
            from storage.migrate import upgrade_database

            await upgrade_database(url)
        else:
            server = os.environ.get("NETCOACH_TEST_POSTGRES_URL")
            if not server:
                raise SystemExit("postgres needs NETCOACH_TEST_POSTGRES_URL")
            url = created = await create_postgres_database(server)
        try:
            began = time.monotonic()
            await _fill(url, members, now)
            filled = time.monotonic() - began
            result = await _time_claims(url, now)
        finally:
            if created is not None:
                await drop_postgres_database(os.environ["NETCOACH_TEST_POSTGRES_URL"], created)
    return {
        "database": make_url(url).get_backend_name(),
        "members": members,
        "fill_s": round(filled, 1),
    } | result


def main(argv: list[str] | None = None) -> int:
    """Time the claim at each size on each database; print figures, plans and the command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--database", nargs="+", default=["sqlite", "postgres"])
    args = parser.parse_args(argv)
    for database in args.database:
        results = []
        for members in args.members:
            result = asyncio.run(_one(database, members))
            results.append(result)
            print(
                f"{result['database']:>10} {members:>9,} members: claim of {DUE} in "
                f"{result['median_ms']} ms (median of {RUNS}; filled in {result['fill_s']} s)"
            )
            for line in result["plan"]:
                print(f"{'':>12}plan: {line}")
        times = [r["median_ms"] for r in results]
        print(f"{database}: largest/smallest = {max(times) / min(times):.2f} (goal <= 2)")
    print("reproduce:", " ".join([".venv/bin/python -m benchmarks.due_query", *sys.argv[1:]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
