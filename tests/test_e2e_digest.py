"""One digest: what falls due for a member within half an hour comes as one message.

The clock is frozen at Thursday 26 Nov 2026, 08:00 UTC (09:00 in Berlin) and moved by
the tests; the dispatcher is woken as its tick would wake it.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import dispatcher as dispatcher_module
from bot.clock import ShiftableClock, SystemClock
from bot.domain.digest import Digest
from bot.domain.followups import FollowUp
from bot.domain.prompts import Outcome
from bot.domain.runtime import Runtime
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from storage.models import Commitment, CommitmentStatus, Delivery, DeliveryStatus, User
from tests.support.harness import bot_against, labels, press_and_see_edit, texts_until_quiet
from tests.support.history import HistoryBuilder
from tests.support.members import add_members
from tests.support.processes import netcoach_process, wait_until

ZONE = ZoneInfo("Europe/Berlin")


async def _tick(app: NetcoachApplication) -> None:
    """What the repeating job does, run to completion."""
    app.bot_data.dispatcher.kick()
    await app.bot_data.dispatcher.idle()


async def _builder(runtime: Runtime, user: SimUser) -> HistoryBuilder:
    async with runtime.sessions() as session:
        row = (await session.execute(select(User).where(User.telegram_id == user.id))).scalar_one()
    return HistoryBuilder(runtime, row.id)


async def _member_with_a_busy_morning(
    runtime: Runtime, user: SimUser, *, minutes_apart: int
) -> HistoryBuilder:
    """Mara's weekly card, the review before it, two follow-ups and a check-in: the first
    due now, the others each `minutes_apart` later (her card last)."""
    now = runtime.clock.now()
    step = timedelta(minutes=minutes_apart)
    slot = now + 3 * step
    local = slot.astimezone(ZONE)
    await add_members(
        runtime,
        [user.id],
        weekday=local.weekday(),
        minute=local.hour * 60 + local.minute,
        next_prompt_at=slot,
    )
    history = await _builder(runtime, user)
    # Last week: a note, and a commitment kept (something for the review to tell).
    await history.reflection("principle-trust", now - timedelta(days=3), "Von Tom lange nichts")
    await history.commitment("principle-trust", now - timedelta(days=6), kept=now, contact="Tom")
    # Due this morning.
    await history.commitment(
        None, now - timedelta(days=4), action="Anna anrufen", contact="Anna", due=now,
        follow_up=True,
    )  # fmt: skip
    await history.commitment(
        None, now - timedelta(days=2), action="Tom eine Mail schreiben", contact="Tom",
        due=now + step, follow_up=True,
    )  # fmt: skip
    await history.contact("Ben", every_days=14, next_checkin=now + 2 * step)
    return history


async def _rows(runtime: Runtime, user: SimUser) -> list[Delivery]:
    async with runtime.sessions() as session:
        query = (
            select(Delivery)
            .join(User, User.id == Delivery.user_id)
            .where(User.telegram_id == user.id)
            .order_by(Delivery.id)
        )
        return list((await session.execute(query)).scalars())


async def _keyboard_changed(user: SimUser, message: SimMessage, before: list[str]) -> list[str]:
    """The digest's button labels once the bot has taken the pressed item's buttons away."""
    for _ in range(100):
        current = next(m for m in user.messages if m.message_id == message.message_id)
        if labels(current) != before:
            return labels(current)
        await asyncio.sleep(0.05)
    raise AssertionError("the digest's keyboard did not change")


async def test_review_follow_ups_check_in_and_card_due_within_half_an_hour_come_as_one_message(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    mara = sim.user("Mara", language_code="de")
    await _member_with_a_busy_morning(runtime, mara, minutes_apart=8)
    async with bot_against(sim, runtime) as app:
        await _tick(app)
        digest = await mara.next_message()
        assert await texts_until_quiet(mara) == []  # one message, not five
        text = digest.text or ""
        # The first line (a notification's preview) names nobody.
        assert text.splitlines()[0] == "📬 Auf einen Blick – 4 Punkte für dich"
        sections = ["Dein Wochenrückblick", "Fällige Vorhaben", "In Kontakt bleiben", "Dein Impuls"]
        assert [text.index(s) for s in sections] == sorted(text.index(s) for s in sections)
        for item in ("① ⏰ Anna anrufen (Anna)", "② ⏰ Tom eine Mail schreiben (Tom)", "③ 👋"):
            assert item in text
        assert "Ben" in text and "\n④ " in text
        assert labels(digest) == [
            *(f"① {b}" for b in FOLLOW_UP),
            *(f"② {b}" for b in FOLLOW_UP),
            *(f"③ {b}" for b in CHECK_IN),
            *(f"④ {b}" for b in CARD),
        ]
        # One delivery row each, sent together as this one message.
        rows = await _rows(runtime, mara)
        assert [r.status for r in rows] == [DeliveryStatus.SENT] * 4
        assert {r.telegram_message_id for r in rows} == {digest.message_id}

        # Each button does what it does in a message of its own; the answer comes as a
        # reply, and the digest keeps the other items' buttons.
        shown = labels(digest)
        await mara.press(digest, "① ✓ Erledigt")
        done = await mara.next_message()
        assert "Erledigt ✓" in (done.text or "") and done.reply_to is not None
        shown = await _keyboard_changed(mara, digest, shown)
        assert not any(label.startswith("①") for label in shown) and "② ✓ Erledigt" in shown

        await mara.press(digest, "③ ✓ Wir hatten Kontakt")
        in_touch = await mara.next_message()
        assert "Die Zeit für Ben beginnt von vorn" in (in_touch.text or "")
        shown = await _keyboard_changed(mara, digest, shown)

        await mara.press(digest, "④ 🔄 Andere Frage")
        card = await mara.next_message()
        assert labels(card) == CARD  # the card on its own, with its own buttons
        shown = await _keyboard_changed(mara, digest, shown)

        await mara.press(digest, "② 💤 1 Tag")
        snoozed = await mara.next_message()
        assert "ich frage am Fr., 27. Nov." in (snoozed.text or "")
        assert await _keyboard_changed(mara, digest, shown) == []
    async with runtime.sessions() as session:
        statuses = (await session.execute(select(Commitment.status))).scalars().all()
    assert sorted(statuses) == sorted(
        [CommitmentStatus.DONE, CommitmentStatus.DONE, CommitmentStatus.OPEN]
    )


FOLLOW_UP = [
    "✓ Erledigt",
    "🗓 Neu vereinbaren",
    "🕊 Loslassen",
    "💤 1 Tag",
    "💤 3 Tage",
    "💤 1 Woche",
]
CHECK_IN = ["✓ Wir hatten Kontakt", "💤 1 Tag", "💤 3 Tage", "💤 1 Woche", "Nicht mehr erinnern"]
CARD = ["✍️ Gedanken notieren", "🔄 Andere Frage", "🤝 Schritt vornehmen", "⏭ Diese Woche aussetzen"]


async def test_with_the_digest_turned_off_each_comes_as_a_message_of_its_own(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    separate = replace(
        runtime, settings=runtime.settings.model_copy(update={"digest_window_minutes": 0})
    )
    mara = sim.user("Mara", language_code="de")
    await _member_with_a_busy_morning(separate, mara, minutes_apart=0)
    async with bot_against(sim, separate) as app:
        await _tick(app)
        texts = await texts_until_quiet(mara, quiet=1.0)
    assert len(texts) == 4 and not any(text.startswith("📬") for text in texts)
    assert sum("Dein Wochenrückblick" in text for text in texts) == 1
    rows = await _rows(runtime, mara)
    assert len({r.telegram_message_id for r in rows}) == 4


async def test_an_item_that_cannot_be_shown_waits_and_the_others_come_without_it(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    mara = sim.user("Mara", language_code="de")
    history = await _member_with_a_busy_morning(runtime, mara, minutes_apart=5)
    # A due date no screen can show (the year 10000 in Berlin): written straight into
    # the database, as no screen of the bot would.
    broken_id = await history.commitment(
        None, clock.now(), action="Kaputt", due=datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
    )
    async with runtime.sessions.begin() as session:
        broken = await session.get(Commitment, broken_id)
        assert broken is not None
        broken.followup_at = clock.now()
    async with bot_against(sim, runtime) as app:
        await _tick(app)
        digest = await mara.next_message()
        assert await texts_until_quiet(mara) == []
    assert (digest.text or "").startswith("📬 Auf einen Blick – 4 Punkte für dich")
    assert "Kaputt" not in (digest.text or "")
    rows = await _rows(runtime, mara)
    waiting = [r for r in rows if r.status is DeliveryStatus.PENDING]
    assert [r.last_error for r in waiting] == ["render: OverflowError"]
    assert waiting[0].due_at > clock.now()  # tried again after a pause
    assert [r.telegram_message_id for r in rows if r.status is DeliveryStatus.SENT] == [
        digest.message_id
    ] * 4


async def test_a_digest_telegram_refuses_goes_again_item_by_item(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    mara = sim.user("Mara", language_code="de")
    await _member_with_a_busy_morning(runtime, mara, minutes_apart=5)
    sim.faults.fail_next(1, status=400, method="sendMessage")
    async with bot_against(sim, runtime) as app:
        await _tick(app)
        texts = await texts_until_quiet(mara, quiet=1.0)
    # The review goes with the card, as it does when the card comes alone.
    assert len(texts) == 4 and texts[-1].startswith("Dein Wochenrückblick")
    assert {r.status for r in await _rows(runtime, mara)} == {DeliveryStatus.SENT}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_digest_in_flight_when_the_bot_is_killed_comes_again_whole_after_the_restart(
    sim: TelegramSimulator, runtime: Runtime, database_url: str, tmp_path: Path
) -> None:
    live = Runtime(runtime.sessions, SystemClock(), runtime.settings, runtime.curriculum)
    mara = sim.user("Mara", language_code="de")
    await _member_with_a_busy_morning(live, mara, minutes_apart=5)
    # Quiet hours (whatever the hour of this run) and short leases, for the story's sake.
    settings = {"quiet_hours": "off", "tick_seconds": "0.2", "delivery_lease_seconds": "1.5"}
    log = tmp_path / "netcoach.log"
    # Telegram delivers the digest but answers late: the bot is killed while it waits.
    sim.faults.answer_late(60, methods="sendMessage")
    async with netcoach_process(sim, database_url, log, "--dispatch-only", **settings) as bot:
        await wait_until(lambda: len(mara.messages) == 1, timeout=90)
        bot.send_signal(signal.SIGKILL)
    rows = await _rows(live, mara)
    assert {r.status for r in rows} == {DeliveryStatus.SENDING}  # leased, never recorded

    sim.faults.clear()
    async with netcoach_process(sim, database_url, log, "--dispatch-only", **settings):
        await wait_until(lambda: len(mara.messages) == 2, timeout=90)
        for _ in range(100):  # its outcome is recorded a moment after the send
            rows = await _rows(live, mara)
            if {r.status for r in rows} == {DeliveryStatus.SENT}:
                break
            await asyncio.sleep(0.1)
    # Nothing lost: the whole digest came again (the one in flight, once more) and every
    # row is recorded with that second message.
    first, second = (m.text or "" for m in mara.messages)
    assert first == second and "4 Punkte" in second
    assert {r.status for r in rows} == {DeliveryStatus.SENT}
    assert {r.telegram_message_id for r in rows} == {mara.messages[1].message_id}
    assert "Traceback" not in log.read_text()


async def test_an_item_whose_buttons_do_not_fit_is_shown_on_its_own_with_all_of_them(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    leo = sim.user("Leo", language_code="de")
    await add_members(runtime, [leo.id], next_prompt_at=clock.now())
    history = await _builder(runtime, leo)
    for name in ("Anna", "Ben", "Cem", "Dora", "Eli", "Fynn", "Gül"):
        await history.contact(name, every_days=30, next_checkin=clock.now())
    async with bot_against(sim, runtime) as app:
        await _tick(app)
        digest = await leo.next_message()
        shown = labels(digest)
        assert "📬 Auf einen Blick – 8 Punkte für dich" in (digest.text or "")
        assert "⑦ Einzeln zeigen" in shown and "⑧ ✍️ Gedanken notieren" in shown
        await leo.press(digest, "⑦ Einzeln zeigen")
        alone = await leo.next_message()
        assert "Gül" in (alone.text or "") and labels(alone) == CHECK_IN
        assert "⑦ Einzeln zeigen" not in await _keyboard_changed(leo, digest, shown)
        answered = await press_and_see_edit(leo, alone, "✓ Wir hatten Kontakt")
        assert "Die Zeit für Gül beginnt von vorn" in (answered.text or "")


async def test_a_follow_up_made_ahead_of_its_moment_waits_out_a_pause_and_is_not_lost(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    ivy = sim.user("Ivy", language_code="de")
    await add_members(runtime, [ivy.id], next_prompt_at=clock.now() + timedelta(days=30))
    history = await _builder(runtime, ivy)
    await history.commitment(
        None, clock.now() - timedelta(days=1), action="Anna anrufen", contact="Anna",
        due=clock.now() + timedelta(minutes=20), follow_up=True,
    )  # fmt: skip
    async with bot_against(sim, runtime) as app:
        await _tick(app)  # its row is made, due in 20 minutes
        assert [r.status for r in await _rows(runtime, ivy)] == [DeliveryStatus.PENDING]
        await ivy.send("/pause")
        await ivy.next_message()
        clock.advance(timedelta(minutes=30))
        await _tick(app)
        assert await texts_until_quiet(ivy) == []
        await ivy.send("/resume")
        await ivy.next_message()
        await _tick(app)
        (asked,) = await texts_until_quiet(ivy)
    assert "Anna anrufen (Anna)" in asked


async def test_the_review_in_a_digest_names_what_waits_but_not_what_the_digest_asks_anyway(
    sim: TelegramSimulator, runtime: Runtime, clock: ShiftableClock
) -> None:
    now = clock.now()
    ole = sim.user("Ole", language_code="de")
    await add_members(runtime, [ole.id], next_prompt_at=now)
    history = await _builder(runtime, ole)
    await history.commitment(
        None, now - timedelta(days=9), action="Lea zurückrufen", contact="Lea",
        due=now - timedelta(days=2), follow_up=True,
    )  # fmt: skip
    await history.commitment(
        None, now - timedelta(days=9), action="Bücher zurückgeben", due=now - timedelta(days=5)
    )
    async with runtime.sessions.begin() as session:
        asked_before = (
            await session.execute(select(Commitment).where(Commitment.followup_at.is_not(None)))
        ).scalar_one()
        asked_before.pings = 1  # asked two days ago, no answer: its one reminder is due
    async with bot_against(sim, runtime) as app:
        await _tick(app)
        digest = await ole.next_message()
    text = digest.text or ""
    review, _, rest = text.partition("Ein letzter Stups")
    assert "Dein Wochenrückblick" in review and "Bücher zurückgeben" in review
    assert "Lea zurückrufen" not in review and "weitere" not in review
    assert "③" not in text and "② ⏰ Lea zurückrufen (Lea)" not in rest
    assert "① ⏰ Lea zurückrufen (Lea)" in rest and "② Netzwerken" in rest


async def test_a_digest_of_two_messages_records_each_row_with_its_own_message(
    sim: TelegramSimulator,
    runtime: Runtime,
    bot: NetcoachApplication,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dispatcher_module, "_BACKOFF_SECONDS", (0.0,) * 4)
    kim = sim.user("Kim", language_code="de")
    now = runtime.clock.now()
    # Eight follow-ups of about 900 characters: two messages (drawn, not stored).
    items = tuple(
        FollowUp(n, kim.id, "de", "Europe/Berlin", n, f"Aufgabe {n}: " + "lang " * 180, None,
                 now, reminder=False, slot_at=now)
        for n in range(1, 9)
    )  # fmt: skip
    # Telegram takes the first message, then cannot be reached for a while.
    sim.faults.fail_next(8, status=502, method="sendMessage", after=1)
    outcomes = await bot.bot_data.dispatcher.send_digest(Digest(1, items))
    (first,) = kim.messages
    sent = [o for o in outcomes if o.outcome is Outcome.SENT]
    waiting = [o for o in outcomes if o.outcome is Outcome.RETRY]
    assert sent and waiting and len(sent) + len(waiting) == 8
    assert {o.message_id for o in sent} == {first.message_id}
    # Those after it were not sent at all: none counts as maybe delivered.
    assert not any(o.maybe_sent or o.message_id for o in waiting)
    shown = {n for n in range(1, 9) if f"Aufgabe {n}:" in (first.text or "")}
    assert shown == {o.delivery_id for o in sent}
