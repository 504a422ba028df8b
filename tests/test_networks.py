"""One bot for several networks: each hands out its invite link, operators see counts per network.

An association runs netcoach for two chapters. Each shares `t.me/<bot>?start=<code>`;
Telegram passes the code on with `/start`. The member's network is recorded once, from a
code the operator listed in NETCOACH_NETWORKS; `/stats` and `netcoach report` count
members per network, never naming anyone.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.domain.admin import NetworkCount
from bot.domain.runtime import Runtime
from bot.report import write_report
from bot.settings import SettingsError, load_settings
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
    # Groups under five are shown as "<5", their activity not at all: whoever knows that
    # Dora came through verein-sued must not read off that she did nothing this week.
    assert lines[at + 1 :] == [
        "· jugend: 0, aktiv 0",
        "· verein-nord: <5, aktiv <5",
        "· verein-sued: <5, aktiv <5",
    ]
    assert "Anna" not in (stats.text or "") and "Tom" not in (stats.text or "")

    out = tmp_path / "report.html"
    await write_report(runtime, out, "en")
    page = out.read_text(encoding="utf-8")
    table = page[page.index('<table id="networks">') :]
    assert "<td>verein-nord</td><td>&lt;5</td><td>&lt;5</td>" in table
    assert "<td>verein-sued</td><td>&lt;5</td><td>&lt;5</td>" in table
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


@pytest.mark.parametrize(
    ("members", "active", "shown"),
    [(0, 0, ("0", "0")), (4, 0, ("<5", "<5")), (5, 0, ("5", "0")), (12, 3, ("12", "<5"))],
)
def test_small_counts_are_shown_as_a_range(
    members: int, active: int, shown: tuple[str, str]
) -> None:
    count = NetworkCount("verein-nord", members, active)
    assert (count.shown_members, count.shown_active) == shown


def test_more_networks_than_stats_can_show_stop_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    codes = ",".join(f"gruppe-{number}" for number in range(41))
    monkeypatch.setenv("NETCOACH_NETWORKS", codes)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert any(
        problem.startswith("NETCOACH_NETWORKS: ") and "41 network codes; at most 40" in problem
        for problem in refused.value.problems
    )
