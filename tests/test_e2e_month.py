"""A month with netcoach as a new member lives it: the answers around the cards (issue 15).

The clock is frozen at Thursday 26 Nov 2026, 08:00 UTC (09:00 in Berlin, 08:00 in London)
and moved by the tests; the dispatcher is woken as its tick would wake it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import ShiftableClock
from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from tests.support.harness import chat, texts_until_quiet
from tests.support.members import add_members

_LATER = datetime(2030, 1, 1, tzinfo=UTC)


async def _tick(bot: NetcoachApplication) -> None:
    """What the repeating job does, run to completion."""
    dispatcher = bot.bot_data.dispatcher
    dispatcher.kick()
    await dispatcher.idle()


async def _member(sim: TelegramSimulator, runtime: Runtime, name: str, language: str) -> SimUser:
    user = sim.user(name, language_code=language)
    zone = "Europe/Berlin" if language == "de" else "Europe/London"
    # Weekly prompts are years away: these stories are about the answers around them.
    await add_members(runtime, [user.id], timezone=zone, language=language, next_prompt_at=_LATER)
    return user


def _labels(message: SimMessage) -> list[str]:
    return [button.text for button in message.buttons]


async def test_resume_releases_the_follow_ups_and_check_ins_the_pause_held(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    ivy = await _member(sim, runtime, "Ivy", "en")
    await chat(ivy, "/commit call Priya in 2 days")
    await chat(ivy, "/contact Tom every 1 week")
    (paused,) = await chat(ivy, "/pause 3w")
    assert "Paused until Thu, 17 Dec" in (paused.text or "")
    clock.advance(timedelta(days=8))  # the follow-up and the check-in fall due, and wait
    await _tick(bot)
    assert await texts_until_quiet(ivy) == []
    clock.advance(timedelta(days=1))
    await chat(ivy, "/resume")
    await _tick(bot)
    texts = await texts_until_quiet(ivy)
    assert any("call Priya (Priya) was due Sat, 28 Nov" in text for text in texts), texts
    assert any("Tom" in text and "call Priya" not in text for text in texts), texts
