"""Benchmark: messages per member on a morning when much falls due at once (issue 16).

    .venv/bin/python -m benchmarks.digest [--members 100] [--windows 0 30]

Each member (Berlin) has, on Thursday 3 Dec 2026: two follow-ups that fell due in the
night (quiet hours hold them until 07:00), the one reminder of a follow-up left
unanswered two days ago (07:00), check-ins due at 07:00 and 07:20, and the weekly card at
07:15 with a review of last week (half of them want the review as a message of its
own). The real Application runs against the simulator in this process (Telegram's
limits on: 30 messages a second, about one a second per chat), the bot's clock moved
from 06:00 to 12:00 local in five-minute ticks; once per digest window
(`NETCOACH_DIGEST_WINDOW_MINUTES`), each on a new SQLite database. Counted: the messages
each member got, the delivery rows sent (nothing may be missing), sends and 429s, and
the wall time of the morning.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["main"]

BERLIN = ZoneInfo("Europe/Berlin")
# Thursday 3 Dec 2026, 06:00 in Berlin.
START = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)
TICK = timedelta(minutes=5)
MORNING = timedelta(hours=6)


def _local(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 3, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@asynccontextmanager
async def _runtime(directory: str, window: int) -> AsyncIterator[Any]:
    from bot.clock import ShiftableClock
    from bot.settings import Settings
    from bot.wiring import open_runtime

    config = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{directory}/digest.db",
        bot_token="123:TEST",
        _env_file=None,
    )
    async with open_runtime(config, ShiftableClock(frozen_at=START), warn_without_key=False) as rt:
        update = {"tick_seconds": 3600, "digest_window_minutes": window}
        yield replace(rt, settings=config.model_copy(update=update))


async def _busy_morning(runtime: Any, telegram_id: int, separate_review: bool) -> None:
    """One member's morning: see the module's docstring."""
    from sqlalchemy import select

    from storage.models import Commitment, ReviewPlacement, User
    from tests.support.history import HistoryBuilder
    from tests.support.members import add_members

    now = runtime.clock.now()
    await add_members(runtime, [telegram_id], weekday=3, minute=7 * 60 + 15)
    async with runtime.sessions.begin() as session:
        user = (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one()
        if separate_review:
            user.review_placement = ReviewPlacement.SEPARATE
        user_id = user.id
    history = HistoryBuilder(runtime, user_id)
    await history.reflection("principle-trust", now - timedelta(days=2), "Tom mal anrufen")
    await history.commitment("principle-trust", now - timedelta(days=6), kept=now, contact="Tom")
    for action, contact in (("Anna anrufen", "Anna"), ("Angebot an Ben schicken", "Ben")):
        await history.commitment(
            None, now - timedelta(days=3), action=action, contact=contact, due=_local(3),
            follow_up=True,
        )  # fmt: skip
    asked = await history.commitment(
        None, now - timedelta(days=5), action="Lea zurückrufen", contact="Lea",
        due=now - timedelta(days=2), follow_up=True,
    )  # fmt: skip
    async with runtime.sessions.begin() as session:
        commitment = await session.get(Commitment, asked)
        assert commitment is not None
        commitment.pings, commitment.followup_at = 1, _local(7)  # asked once, unanswered
    await history.contact("Jana", every_days=14, next_checkin=_local(7))
    await history.contact("Ole", every_days=30, next_checkin=_local(7, 20))


async def _morning(members: int, window: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from bot.runner import running_bot
    from simulator import TelegramSimulator
    from storage.models import Delivery, DeliveryStatus

    with tempfile.TemporaryDirectory() as directory:
        async with (
            _runtime(directory, window) as runtime,
            TelegramSimulator() as sim,
            running_bot(runtime, token=sim.token, base_url=sim.base_url, poll_timeout=1) as app,
        ):
            sim.record_requests = False
            people = [sim.user(f"Member {n}", language_code="de") for n in range(members)]
            for number, person in enumerate(people):
                await _busy_morning(runtime, person.id, separate_review=number % 2 == 1)
            dispatcher = app.bot_data.dispatcher
            started = time.monotonic()
            clock = runtime.clock
            while clock.now() <= START + MORNING:
                dispatcher.kick()
                await dispatcher.idle()
                clock.advance(TICK)
            took = time.monotonic() - started
            async with runtime.sessions() as session:
                rows = dict(
                    (
                        await session.execute(
                            select(Delivery.status, func.count()).group_by(Delivery.status)
                        )
                    ).all()
                )
            counts = [len(person.messages) for person in people]
            return {
                "window": window,
                "messages": counts,
                "rows": {status.value: rows.get(status, 0) for status in DeliveryStatus},
                "sent": sim.stats.sent_messages,
                "429": sim.stats.too_many_requests,
                "took": took,
            }


def _report(result: dict[str, Any]) -> None:
    counts = result["messages"]
    spread = ", ".join(f"{k}: {v}" for k, v in sorted(Counter(counts).items()))
    print(
        f"window {result['window']:>3} min: messages per member mean "
        f"{statistics.mean(counts):.2f}, max {max(counts)} (members by count: {spread}); "
        f"rows {result['rows']}; sendMessage {result['sent']}, 429s {result['429']}; "
        f"morning dispatched in {result['took']:.1f} s"
    )


async def _main(members: int, windows: list[int]) -> None:
    for window in windows:
        _report(await _morning(members, window))


def main() -> None:
    """Run the morning once per window and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--windows", type=int, nargs="+", default=[0, 30])
    options = parser.parse_args()
    asyncio.run(_main(options.members, options.windows))


if __name__ == "__main__":
    main()
