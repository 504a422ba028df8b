"""One bot for several networks: each hands out its invite link, operators see counts per network.

An association runs netcoach for two chapters. Each shares `t.me/<bot>?start=<code>`;
Telegram passes the code on with `/start`. The member's network is recorded once, from a
code the operator listed in NETCOACH_NETWORKS; `/stats` and `netcoach report` count
members per network, never naming anyone.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.domain.runtime import Runtime
from bot.report import write_report
from simulator import SimUser, TelegramSimulator
from tests.support.contacts import chat_saying_yes
from tests.support.harness import bot_against, chat

ADMIN_ID = 4242
NETWORKS = frozenset({"verein-nord", "verein-sued", "jugend"})


def _for_networks(runtime: Runtime) -> Runtime:
    settings = runtime.settings.model_copy(
        update={"admin_ids": frozenset({ADMIN_ID}), "networks": NETWORKS}
    )
    return replace(runtime, settings=settings)


async def _join(user: SimUser, start: str) -> None:
    """Open the invite link, then finish the set-up: Berlin, Monday, 09:00."""
    await chat(user, start, replies=2)
    await chat(user, "/timezone Europe/Berlin", replies=2)
    await chat(user, "/schedule mo 09:00")


async def test_members_are_counted_per_invite_link_in_stats_and_in_the_report(
    sim: TelegramSimulator, runtime: Runtime, tmp_path: Path
) -> None:
    runtime = _for_networks(runtime)
    async with bot_against(sim, runtime):
        admin = sim.user("Olga", user_id=ADMIN_ID, language_code="de")
        anna, ben = sim.user("Anna", language_code="de"), sim.user("Ben", language_code="de")
        cem, dora = sim.user("Cem", language_code="de"), sim.user("Dora", language_code="en")
        await _join(anna, "/start verein-nord")
        await _join(ben, "/start verein-nord")
        await _join(cem, "/start irgendwas")  # not a listed network: welcomed, not recorded
        await _join(dora, "/start verein-sued")
        # A second link later does not move Dora: she stays where she came in.
        await chat(dora, "/start verein-nord")
        met = await chat_saying_yes(anna, "/met Tom beim Kaffee")  # Anna is active this week
        assert "Tom" in (met.text or "")

        (stats,) = await chat(admin, "/stats")
    lines = (stats.text or "").splitlines()
    at = lines.index("Nach Einladungslink (Mitglieder, davon diese Woche aktiv):")
    assert lines[at + 1 :] == [
        "· jugend: 0, aktiv 0",
        "· verein-nord: 2, aktiv 1",
        "· verein-sued: 1, aktiv 0",
    ]
    assert "Anna" not in (stats.text or "") and "Tom" not in (stats.text or "")

    out = tmp_path / "report.html"
    await write_report(runtime, out, "en")
    page = out.read_text(encoding="utf-8")
    table = page[page.index('<table id="networks">') :]
    assert "<td>verein-nord</td><td>2</td><td>1</td>" in table
    assert "<td>verein-sued</td><td>1</td><td>0</td>" in table
    assert "irgendwas" not in page


async def test_without_listed_networks_stats_say_nothing_about_invite_links(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    settings = runtime.settings.model_copy(update={"admin_ids": frozenset({ADMIN_ID})})
    async with bot_against(sim, replace(runtime, settings=settings)):
        admin = sim.user("Olga", user_id=ADMIN_ID, language_code="en")
        await _join(sim.user("Anna", language_code="de"), "/start verein-nord")
        (stats,) = await chat(admin, "/stats")
    assert "invite link" not in (stats.text or "")
    assert "verein-nord" not in (stats.text or "")
