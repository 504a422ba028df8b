"""Long lists are paged: `/contacts`, `/commitments` and `/journal` fit Telegram's limits.

Every page stays under 4,096 UTF-16 code units of text (as the simulator counts after
parsing the HTML), 100 inline buttons and 64 bytes of callback data; ◀ / ▶ edit the
message in place and carry only a page number, checked on every press; and showing a
page costs the same number of SQL statements on page 1 as on page 100.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.runtime import Runtime
from bot.screens.fitting import shorten, utf16_length
from content.i18n import catalog
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from simulator.entities import utf16_len
from storage.crypto import blind_index
from storage.models import (
    Commitment,
    CommitmentStatus,
    Contact,
    Exchange,
    Interaction,
    Reflection,
    User,
)
from storage.users import get_user_by_telegram_id
from tests.support.contacts import chat_saying_yes
from tests.support.harness import bot_against, chat
from tests.support.members import add_members
from tests.support.processes import wait_until
from tests.support.statements import statements_run

LATER = datetime(2030, 1, 1, tzinfo=UTC)
NEXT = "Weiter ▶"
BACK = "◀ Zurück"


def _quiet(runtime: Runtime) -> Runtime:
    """The dispatcher ticks once at start, then not for an hour (see `_after_first_tick`)."""
    return replace(runtime, settings=runtime.settings.model_copy(update={"tick_seconds": 3600}))


async def _after_first_tick(app: NetcoachApplication) -> None:
    """Wait out the dispatcher's first tick: from now on every statement is the member's."""
    metrics = app.bot_data.metrics.registry
    ticks = "netcoach_dispatch_ticks_total"
    await wait_until(lambda: (metrics.get_sample_value(ticks) or 0) >= 1, timeout=10)
    await app.bot_data.dispatcher.idle()


def _assert_within_telegram_limits(message: SimMessage) -> None:
    assert utf16_len(message.text or "") <= 4096
    assert len(message.buttons) <= 100
    assert all(len((b.data or "").encode()) <= 64 for b in message.buttons)


async def _turn(user: SimUser, message: SimMessage, label: str) -> SimMessage:
    """Press ◀ or ▶ and return the message once the bot has edited it."""
    before = message.text
    await user.wait_callback_answer(await user.press(message, label))
    for _ in range(100):
        current = next(m for m in user.messages if m.message_id == message.message_id)
        if current.text != before:
            return current
        await asyncio.sleep(0.02)
    raise AssertionError(f"{label} did not change {message!r}")


async def _user_row(runtime: Runtime, telegram_id: int) -> User:
    async with runtime.sessions() as session:
        user = await get_user_by_telegram_id(session, telegram_id)
        assert user is not None
        return user


def _fox_name(number: int) -> str:
    # 58 emoji, a space and four digits: 63 characters, 121 UTF-16 units, near the limit.
    return f"{'🦊' * 58} {number:04d}"


async def test_a_thousand_contacts_are_paged_each_shown_once_at_a_constant_cost(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    runtime = _quiet(runtime)
    ada = sim.user("Ada", language_code="de")
    await add_members(runtime, [ada.id], next_prompt_at=LATER)
    user = await _user_row(runtime, ada.id)
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        contacts = [
            Contact(
                user_id=user.id,
                name=_fox_name(number),
                name_key=blind_index(_fox_name(number), user.id),
                checkin_pings=0,
                cadence_days=365,
                created_at=now - timedelta(days=30),
                last_interaction_at=now - timedelta(minutes=number),
            )
            for number in range(1000)
        ]
        session.add_all(contacts)
        await session.flush()
        # Lopsided balances everywhere: every page has gentle notes to give.
        session.add_all(
            Interaction(
                user_id=user.id, contact_id=contact.id, exchange=Exchange.GAVE, created_at=now
            )
            for contact in contacts
            for _ in range(3)
        )
    async with bot_against(sim, runtime) as app:
        await _after_first_tick(app)
        with statements_run(runtime) as opening:
            (page,) = await chat(ada, "/contacts")
        seen: list[str] = []
        counts: list[int] = []
        while True:
            _assert_within_telegram_limits(page)
            text = page.text or ""
            assert "Deine Kontakte (1000)" in text
            seen += re.findall(r"🦊 (\d{4})\nLetzter Kontakt", text)
            assert "Ein leiser Gedanke" in text  # the notes came along, within the limit
            if NEXT not in [b.text for b in page.buttons]:
                break
            with statements_run(runtime) as statements:
                page = await _turn(ada, page, NEXT)
            counts.append(len(statements))
        assert "Seite 100 von 100" in (page.text or "")
        # The most recently met first, and every contact exactly once.
        assert seen == [f"{number:04d}" for number in range(1000)]
        assert len(set(counts)) == 1, counts  # page 2 costs what page 100 costs
        assert counts[0] <= 6 and len(opening) <= counts[0] + 4, (counts[0], opening)
        back = await _turn(ada, page, BACK)
        assert "Seite 99 von 100" in (back.text or "")


async def test_a_forged_page_number_shows_the_last_page_or_gets_the_neutral_answer(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    bo = sim.user("Bo", language_code="en")
    await add_members(runtime, [bo.id], language="en", next_prompt_at=LATER)
    async with bot_against(sim, runtime):
        for number in range(12):
            await chat_saying_yes(bo, f"/met Person{number:02d}")
        (page,) = await chat(bo, "/contacts")
        assert "Page 1 of 2" in (page.text or "")
        await bo.wait_callback_answer(await bo.press_forged(page, "kp:2147483647"))
        for _ in range(100):
            current = next(m for m in bo.messages if m.message_id == page.message_id)
            if "Page 2 of 2" in (current.text or ""):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("a page beyond the last did not show the last page")
        stale = catalog("en").raw("fallback.stale_button")
        for data in ("kp:-1", "kp:x", "kp:²", "cp:1.5", "co:99999", "kp:99999999999999999999"):
            answer = await bo.wait_callback_answer(await bo.press_forged(page, data))
            assert answer.text == stale, data


async def test_a_hundred_open_commitments_are_paged_and_each_opens_with_its_buttons(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    runtime = _quiet(runtime)
    cleo = sim.user("Cleo", language_code="de")
    await add_members(runtime, [cleo.id], next_prompt_at=LATER)
    user = await _user_row(runtime, cleo.id)
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        contact = Contact(
            user_id=user.id,
            name=_fox_name(0),
            name_key=blind_index(_fox_name(0), user.id),
            checkin_pings=0,
            created_at=now,
        )
        session.add(contact)
        await session.flush()
        for number in range(100):
            # The longest a commitment can be, and emoji count twice.
            action = f"Nr. {number:03d} " + "🎁" * 291
            session.add(
                Commitment(
                    user_id=user.id,
                    contact_id=contact.id,
                    action=action,
                    status=CommitmentStatus.OPEN,
                    due_at=now + timedelta(days=1, minutes=number),
                    followup_at=now + timedelta(days=1, minutes=number),
                    pings=0,
                    renegotiations=0,
                    created_at=now,
                )
            )
    async with bot_against(sim, runtime) as app:
        await _after_first_tick(app)
        (page,) = await chat(cleo, "/commitments")
        seen: list[str] = []
        counts: list[int] = []
        while True:
            _assert_within_telegram_limits(page)
            assert "Deine offenen Vorhaben (100)" in (page.text or "")
            seen += re.findall(r"Nr\. (\d{3})", page.text or "")
            if NEXT not in [b.text for b in page.buttons]:
                break
            with statements_run(runtime) as statements:
                page = await _turn(cleo, page, NEXT)
            counts.append(len(statements))
        assert seen == [f"{number:03d}" for number in range(100)]
        assert len(set(counts)) == 1, counts
        assert page.buttons[0].text == "96. Nr. 095 " + "🎁" * 9 + "…"
        await cleo.press(page, page.buttons[0].text)
        item = await cleo.next_message()
        assert (item.text or "").startswith("Nr. 095 " + "🎁" * 291)  # whole, on its own
        assert [b.text for b in item.buttons][:3] == [
            "✓ Erledigt",
            "🗓 Neu vereinbaren",
            "🕊 Loslassen",
        ]


async def test_a_journal_of_long_emoji_reflections_fits_one_message_per_page(
    sim: TelegramSimulator, runtime: Runtime
) -> None:
    dana = sim.user("Dana", language_code="de")
    await add_members(runtime, [dana.id], next_prompt_at=LATER)
    user = await _user_row(runtime, dana.id)
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        for number in range(7):
            # As long as one Telegram message can be: 2,048 emoji are 4,096 UTF-16 units.
            session.add(
                Reflection(
                    user_id=user.id,
                    card_key="intro",
                    text="🌱" * 2048,
                    created_at=now - timedelta(days=number),
                )
            )
    async with bot_against(sim, runtime):
        (page,) = await chat(dana, "/journal")
        _assert_within_telegram_limits(page)
        assert "Notiz 1 bis 5 von 7" in (page.text or "")
        older = await _turn(dana, page, "Ältere ▶")
        _assert_within_telegram_limits(older)
        assert "Notiz 6 bis 7 von 7" in (older.text or "")


@given(text=st.text(max_size=300), units=st.integers(min_value=1, max_value=400))
def test_a_shortened_text_fits_its_budget_and_says_it_was_cut(text: str, units: int) -> None:
    short = shorten(text, units)
    assert utf16_length(short) <= units
    if short != text:
        assert short.endswith("…") and text.startswith(short[:-1].rstrip())
