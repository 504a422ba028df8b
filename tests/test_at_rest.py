"""Every word a member types is encrypted at rest, in every table, yet comes back in /export.

A scripted session types a marker of its own into every free-text step (set-up, notes,
commitments one-line and guided, contacts, /met notes, renegotiating, an admin's
broadcast, and texts the bot never keeps), through the real `Application` and the
simulator. The markers are then searched in every byte the database holds: the SQLite
file and its WAL, or a `pg_dump` of the PostgreSQL database; and in every column of every
table the models define, so a column added later is searched too. Drafts are searched
while they are still open.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import String, cast, select, text
from sqlalchemy.engine import make_url

from bot.clock import ShiftableClock
from bot.domain.drafts import expire_drafts
from bot.domain.runtime import Runtime
from bot.settings import Settings
from handlers.context import NetcoachApplication
from simulator import SimMessage, SimUser, TelegramSimulator
from storage.crypto import FieldCipher, generate_key, using_cipher
from storage.models import Base, Commitment, ConversationState
from tests.support.harness import edited
from tests.support.members import add_members

ADMIN_ID = 4242


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The test database, with an admin who may broadcast."""
    admins = frozenset({ADMIN_ID})
    return Settings(database_url=database_url, admin_ids=admins, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def _a_key() -> Iterator[FieldCipher]:
    """These stories run with a key, as an operator who promises discretion does."""
    with using_cipher(FieldCipher(generate_key())) as cipher:
        assert cipher is not None
        yield cipher


class Markers:
    """Unique words typed into the chat, and whether the bot is meant to keep each."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.passing: list[str] = []

    def new(self, *, kept: bool = True) -> str:
        """A fresh marker (capitalised, so name heuristics take it as a name)."""
        word = f"Mk{uuid.uuid4().hex[:12]}"
        (self.kept if kept else self.passing).append(word)
        return word

    @property
    def all(self) -> list[str]:
        return self.kept + self.passing


async def say(user: SimUser, words: str, replies: int = 1) -> list[SimMessage]:
    """Send `words` and return the bot's next `replies` messages (sent after its commit)."""
    user.unread()  # earlier answers not looked at
    await user.send(words)
    return [await user.next_message(timeout=10) for _ in range(replies)]


async def press(user: SimUser, message: SimMessage, label: str, replies: int = 0) -> None:
    """Press a button, wait until the bot answered it, and read its next `replies` messages."""
    await user.wait_callback_answer(await user.press(message, label), timeout=10)
    for _ in range(replies):
        await user.next_message(timeout=10)


async def with_button(user: SimUser, label: str) -> SimMessage:
    """The next message that has a button labelled `label`."""
    return await user.next_message(timeout=10, predicate=lambda m: has_button(m, label))


def has_button(message: SimMessage, label: str) -> bool:
    """Whether the message has a button labelled `label`."""
    return any(button.text == label for button in message.buttons)


async def export(user: SimUser) -> tuple[bytes, bytes]:
    """`/export`: the JSON file and the Markdown file."""
    files = [message.document for message in await say(user, "/export", replies=2)]
    assert files[0] is not None and files[1] is not None
    return files[0].data, files[1].data


async def tick(bot: NetcoachApplication) -> None:
    """What the repeating job does, run to completion."""
    bot.bot_data.dispatcher.kick()
    await bot.bot_data.dispatcher.idle()


# --- looking at every byte -------------------------------------------------------------


async def database_bytes(database_url: str) -> bytes:
    """Every byte the database holds: SQLite's files, or a dump of the PostgreSQL database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        files = [path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))]
        return b"".join(file.read_bytes() for file in files if file.exists())
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    dump = await asyncio.create_subprocess_exec(
        "pg_dump", "--no-owner", "--dbname", dsn, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await dump.communicate()
    assert dump.returncode == 0, "pg_dump failed"
    return out


async def every_column_value(runtime: Runtime) -> list[str]:
    """Every value of every column of every table the models define, as text."""
    values: list[str] = []
    async with runtime.sessions() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                # Raw SQL values: what is stored, not what the models make of it.
                query = select(cast(column, String)).select_from(table)
                result = await session.execute(text(str(query.compile(session.bind))))
                values += [value for value in result.scalars() if value is not None]
    return values


async def assert_nowhere_in_the_database(
    runtime: Runtime, database_url: str, markers: list[str]
) -> None:
    stored = await database_bytes(database_url)
    values = "\n".join(await every_column_value(runtime))
    assert [marker for marker in markers if marker.encode() in stored] == []
    assert [marker for marker in markers if marker in values] == []


async def test_no_word_a_member_typed_is_in_any_database_byte_but_all_are_in_the_export(
    sim: TelegramSimulator,
    bot: NetcoachApplication,
    runtime: Runtime,
    clock: ShiftableClock,
    database_url: str,
) -> None:
    marks = Markers()
    lotte = sim.user("Lotte", language_code="de")
    admin = sim.user("Olga", user_id=ADMIN_ID, language_code="de")

    async def nowhere_yet() -> None:
        await assert_nowhere_in_the_database(runtime, database_url, marks.all)

    # Set-up: a city the bot does not know, then one it does.
    _, language = await say(lotte, "/start", replies=2)
    assert has_button(language, "Deutsch")
    await press(lotte, language, "Deutsch", replies=1)
    await say(lotte, f"{marks.new(kept=False)} an der Oder")
    await nowhere_yet()
    await lotte.send("Berlin")
    await press(lotte, await with_button(lotte, "Do."), "Do.")
    await press(lotte, await with_button(lotte, "18:00"), "18:00", replies=1)

    # Notes: after the button (an open question), with /reflect, and as a reply.
    await lotte.send("/next")
    prompt = await with_button(lotte, "✍️ Gedanken notieren")
    await press(lotte, prompt, "✍️ Gedanken notieren", replies=1)
    await nowhere_yet()
    await say(lotte, f"Ich habe {marks.new()} zugehört")
    await say(lotte, f"/reflect {marks.new()} hat mir vertraut")
    await lotte.reply_to(prompt, f"Antwort auf den Impuls: {marks.new()}")
    await lotte.next_message(timeout=10)

    # Commitments: one line, and guided with the draft looked at while it is open.
    (new,) = await say(lotte, f"/commit {marks.new()} anrufen wegen {marks.new()} bis Freitag")
    await press(lotte, new, "✓ Ja, neuer Kontakt", replies=1)
    await say(lotte, "/commit")
    contact, action = marks.new(), marks.new()
    (new,) = await say(lotte, contact)
    await nowhere_yet()
    await press(lotte, new, "✓ Ja, neuer Kontakt", replies=1)
    await lotte.send(f"{action} zum Kaffee einladen")
    when = await with_button(lotte, "Morgen")
    await nowhere_yet()
    draft_export, _ = await export(lotte)  # the open draft is hers: it is in the export
    assert contact.encode() in draft_export and action.encode() in draft_export
    await press(lotte, when, "Morgen", replies=1)

    # Contacts, /met with a note, and the ledger tap.
    (new,) = await say(lotte, f"/contact {marks.new()} alle 2 Wochen")
    await nowhere_yet()  # the new name waits for her yes, sealed
    await press(lotte, new, "✓ Ja, neuer Kontakt")
    await lotte.send(f"/met {marks.new()} {marks.new()} erzählte vom Umzug")
    new = await with_button(lotte, "✓ Ja, neuer Kontakt")
    await press(lotte, new, "✓ Ja, neuer Kontakt")
    await press(lotte, await edited(lotte, new), "Ich habe gegeben")

    # Renegotiating a commitment that fell due: an unclear date first, then a real one.
    (made,) = await say(lotte, f"/commit Jana {marks.new()} schreiben in 2 Minuten")
    if has_button(made, "✓ Ja, neuer Kontakt"):  # a marker may read as a known name or not
        await press(lotte, made, "✓ Ja, neuer Kontakt", replies=1)
    clock.advance(timedelta(minutes=3))
    await tick(bot)
    await press(lotte, await with_button(lotte, "🗓 Neu vereinbaren"), "🗓 Neu vereinbaren")
    await with_button(lotte, "Morgen")  # "the new date?"
    await lotte.send(f"wenn {marks.new(kept=False)} zurück ist")
    await with_button(lotte, "Morgen")  # asked again
    await nowhere_yet()
    await lotte.send("15.12.")
    await lotte.next_message(timeout=10, predicate=lambda m: "15. Dez." in (m.text or ""))

    # Texts the bot answers but never keeps, some typed into an open settings question.
    await say(lotte, f"/timezone {marks.new(kept=False)}")
    await say(lotte, f"/schedule {marks.new(kept=False)}")
    await say(lotte, f"/pause {marks.new(kept=False)}")
    await say(lotte, f"/language {marks.new(kept=False)}")
    await say(lotte, f"/contact {marks.new(kept=False)}")
    await say(lotte, "/timezone")
    await say(lotte, f"{marks.new(kept=False)} am See")
    await nowhere_yet()
    await lotte.send("Berlin")
    await lotte.next_message(timeout=10, predicate=lambda m: "Europe/Berlin" in (m.text or ""))
    await say(lotte, f"Nur so: {marks.new(kept=False)}")

    # An admin's broadcast: a draft until confirmed, then a broadcast every member gets.
    await say(admin, "/start", replies=2)
    broadcast = marks.new(kept=False)  # the admin's own export does not hold broadcasts
    await admin.send(f"/broadcast Treffen bei {broadcast} am Samstag")
    send = await with_button(admin, "An 1 senden")
    await nowhere_yet()
    await press(admin, send, "An 1 senden")
    await tick(bot)
    received = await lotte.next_message(
        timeout=10, predicate=lambda m: "Netzwerk" in (m.text or "")
    )
    assert broadcast in (received.text or "")

    await nowhere_yet()

    # The export has everything she wrote.
    json_file, markdown_file = await export(lotte)
    exported = json.loads(json_file)
    readable = markdown_file.decode()
    for marker in marks.kept:
        assert marker in json.dumps(exported, ensure_ascii=False), f"{marker} not exported"
        assert marker in readable, f"{marker} not in the readable export"

    # The search above can see plain text: a control word put where nothing is encrypted.
    control = f"Ctl{uuid.uuid4().hex[:12]}"
    async with runtime.sessions.begin() as session:
        await session.execute(
            text(
                "UPDATE deliveries SET card_key = :control "
                "WHERE id = (SELECT min(id) FROM deliveries)"
            ),
            {"control": control},
        )
    assert control.encode() in await database_bytes(database_url)
    assert control in await every_column_value(runtime)


# --- a text moved to another member -----------------------------------------------------


async def move_value(runtime: Runtime, table: str, column: str, source: int, target: int) -> None:
    """What someone with write access but no key can do: copy one row's stored text to another."""
    async with runtime.sessions.begin() as session:
        await session.execute(
            text(
                f"UPDATE {table} SET {column} = (SELECT {column} FROM {table} WHERE id = :source) "
                "WHERE id = :target"
            ),
            {"source": source, "target": target},
        )


async def row_ids(runtime: Runtime, table: str) -> list[int]:
    async with runtime.sessions() as session:
        return list((await session.execute(text(f"SELECT id FROM {table} ORDER BY id"))).scalars())


async def test_alices_words_copied_into_bobs_rows_stay_unreadable_and_nobody_else_is_affected(
    sim: TelegramSimulator,
    bot: NetcoachApplication,
    runtime: Runtime,
    clock: ShiftableClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = sim.user("Alice", language_code="de")
    bob = sim.user("Bob", language_code="de")
    await add_members(runtime, [alice.id, bob.id])
    secret = f"Alices vertrauliche Notiz {uuid.uuid4().hex[:8]}"
    for member, note, action in (
        (alice, secret, "Dr. Meier wegen der Diagnose anrufen"),
        (bob, "Bobs eigene Notiz", "Tom schreiben"),
    ):
        await member.send("/next")
        await with_button(member, "✍️ Gedanken notieren")
        await say(member, f"/reflect {note}")
        (new,) = await say(member, f"/commit {action} in 2 Minuten")
        await press(member, new, "✓ Ja, neuer Kontakt", replies=1)
    alice_note, bob_note = await row_ids(runtime, "reflections")
    alice_promise, bob_promise = await row_ids(runtime, "commitments")
    alice_contact, bob_contact = await row_ids(runtime, "contacts")
    await move_value(runtime, "reflections", "text", alice_note, bob_note)
    await move_value(runtime, "commitments", "action", alice_promise, bob_promise)
    await move_value(runtime, "contacts", "name", alice_contact, bob_contact)
    caplog.set_level(logging.WARNING)

    (journal,) = await say(bob, "/journal")
    assert "Dieser Eintrag lässt sich gerade nicht öffnen." in (journal.text or "")
    assert "Alices" not in (journal.text or "")
    (journal,) = await say(alice, "/journal")
    assert secret in (journal.text or "")
    (listing,) = await say(bob, "/commitments")
    assert "⚠️ (lässt sich gerade nicht öffnen)" in (listing.text or "")
    assert [button.text for button in listing.buttons] == ["1. ⚠️ (lässt sich gerade nicht…"]
    assert "Meier" not in (listing.text or "")
    (who,) = await say(bob, "/commit")  # a name that cannot be read makes no button
    assert [button.text for button in who.buttons] == ["Niemand Bestimmtes", "✖ Abbrechen"]
    await bob.send("/met Tom im Café")  # still his Tom (found by its index), not a new ""
    await with_button(bob, "Ich habe gegeben")
    assert len(await row_ids(runtime, "contacts")) == 2

    # The dispatcher follows up on both: Bob's row is shown as unreadable, Alice's as hers.
    clock.advance(timedelta(minutes=3))
    await tick(bot)
    bobs = await bob.next_message(timeout=10, predicate=lambda m: bool(m.buttons))
    alices = await alice.next_message(timeout=10, predicate=lambda m: bool(m.buttons))
    assert "nicht öffnen" in (bobs.text or "") and "Meier" not in (bobs.text or "")
    assert "Dr. Meier wegen der Diagnose anrufen" in (alices.text or "")

    exposition = bot.bot_data.metrics.exposition().decode()
    assert 'netcoach_unreadable_texts_total{reason="failed",table="reflections"} 1.0' in exposition
    assert 'netcoach_unreadable_texts_total{reason="failed",table="commitments"}' in exposition
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"unreadable text in reflections.text, row {bob_note}" in logged
    assert "Alices" not in logged and "Meier" not in logged


# --- drafts expire ---------------------------------------------------------------------


async def test_a_draft_left_for_three_days_is_deleted_and_the_member_is_told_once(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    lotte = sim.user("Lotte", language_code="de")
    await add_members(runtime, [lotte.id])
    await say(lotte, "/commit")
    await say(lotte, "Anna")  # the draft now holds who
    clock.advance(timedelta(days=3, minutes=1))

    (answer,) = await say(lotte, "Blumen schicken")
    assert answer.text == (
        "Deine angefangene Abmachung war 3 Tage lang offen, darum habe ich den Entwurf "
        "gelöscht, wie in /privacy beschrieben. Mit /commit fängst du neu an."
    )
    (again,) = await say(lotte, "Blumen schicken")
    assert "keine Frage offen" in (again.text or "")
    async with runtime.sessions() as session:
        assert (await session.execute(select(ConversationState))).scalars().all() == []
        assert (await session.execute(select(Commitment))).scalars().all() == []


async def test_the_hourly_sweep_drops_drafts_and_their_buttons_no_longer_act(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    assert bot.job_queue is not None
    (sweep,) = [job for job in bot.job_queue.jobs() if job.name == "drafts"]
    assert sweep.job.trigger.interval == timedelta(hours=1)  # type: ignore[attr-defined]
    max_ = sim.user("Max", language_code="en")
    await add_members(runtime, [max_.id], language="en")
    (who,) = await say(max_, "/commit")
    await say(max_, "Anna")
    clock.advance(timedelta(days=2, hours=23))
    assert await expire_drafts(runtime) == 0  # not yet
    clock.advance(timedelta(hours=2))
    assert await expire_drafts(runtime) == 1

    async with runtime.sessions() as session:
        (note,) = (await session.execute(select(ConversationState))).scalars()
    assert (note.flow, note.step, note.data) == ("expired", "commitment", {"reason": "expired"})
    await max_.wait_callback_answer(await max_.press(who, "Nobody in particular"))
    assert max_.callback_answers[-1].text == "This button is no longer active."
    (answer,) = await say(max_, "Send flowers")
    assert answer.text == (
        "Your unfinished commitment was left open for 3 days, so I deleted the draft, as "
        "/privacy says. Start again with /commit."
    )

    # A note nobody came back for goes a period later.
    await say(max_, "/commit")
    clock.advance(timedelta(days=3, hours=1))
    assert await expire_drafts(runtime) == 1
    clock.advance(timedelta(days=3))
    await expire_drafts(runtime)
    async with runtime.sessions() as session:
        assert (await session.execute(select(ConversationState))).scalars().all() == []


async def test_set_up_waits_for_a_member_however_long_they_take(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    nina = sim.user("Nina", language_code="de")
    _, language = await say(nina, "/start", replies=2)
    clock.advance(timedelta(days=10))
    assert await expire_drafts(runtime) == 0
    await press(nina, language, "Deutsch")
    zone = await nina.next_message(timeout=10)
    assert "Zeitzone" in (zone.text or "")
