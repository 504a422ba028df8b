"""Discretion: a member can take everything with them, or have everything deleted.

Export and deletion are checked against the database itself: every row of that
member in every table, whatever tables exist by then.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text

from bot.clock import ShiftableClock
from bot.domain.members import Identity
from bot.domain.privacy import OPERATOR_TABLES, member_rows, member_tables
from bot.domain.runtime import Runtime
from content.export_fields import export_field_docs
from handlers.context import NetcoachApplication
from simulator import SimUser, TelegramSimulator
from storage.crypto import Binding, FieldCipher, generate_key, using_cipher
from storage.models import Base, Reflection, User
from tests.support.harness import chat, texts_until_quiet

MARKER = "Kumquat-4e1b: Lotte told me about her move in confidence"


async def _member_with_history(user: SimUser) -> None:
    await chat(user, "/start", replies=2)
    await chat(user, "/timezone Europe/Berlin", replies=2)
    await chat(user, "/schedule mo 09:00")
    await chat(user, "/next")
    await chat(user, f"/reflect {MARKER}")
    await chat(user, "/reflect Noch eine Notiz.")


async def _user_id(runtime: Runtime, telegram_id: int) -> int:
    async with runtime.sessions() as session:
        query = select(User.id).where(User.telegram_id == telegram_id)
        return (await session.execute(query)).scalar_one()


def _json_rows(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return document["tables"]  # type: ignore[no-any-return]


def test_every_table_belongs_to_a_member_and_every_field_is_described() -> None:
    docs = export_field_docs()
    members = {table.name for table in member_tables()}
    assert members | OPERATOR_TABLES == set(Base.metadata.tables)
    assert not members & OPERATOR_TABLES
    for table in member_tables():
        assert set(docs[table.name].get("_title", {})) == {"de", "en"}, table.name
        for column in table.columns:
            described = docs[table.name].get(column.name, {})
            assert set(described) == {"de", "en"}, f"{table.name}.{column.name} is undocumented"


async def test_export_holds_every_row_of_the_member_in_every_table(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    lotte = sim.user("Lotte", language_code="de")
    other = sim.user("Otto", language_code="de")
    await _member_with_history(lotte)
    await _member_with_history(other)

    await lotte.send("/export")
    json_message = await lotte.next_message()
    markdown_message = await lotte.next_message()
    assert json_message.document is not None and markdown_message.document is not None
    assert json_message.document.filename == "netcoach-export.json"
    assert "maschinenlesbar" in (json_message.caption or "")
    document = json.loads(json_message.document.data)
    assert document["format"] == "netcoach-export/1"

    async with runtime.sessions() as session:
        expected = await member_rows(session, await _user_id(runtime, lotte.id))
    exported = _json_rows(document)
    assert set(exported) == set(Base.metadata.tables) - OPERATOR_TABLES
    for table, rows in expected.items():
        assert len(exported[table]) == len(rows), table
        for exported_row, row in zip(exported[table], rows, strict=True):
            assert set(exported_row) == set(row), table
    assert [r["text"] for r in exported["reflections"]] == [MARKER, "Noch eine Notiz."]
    assert all(r["telegram_id"] == lotte.id for r in exported["users"])
    assert document["fields"]["reflections"]["text"]["en"] == "What you wrote"

    markdown = markdown_message.document.data.decode()
    assert markdown.startswith("# Deine Daten bei netcoach")
    assert MARKER in markdown and "## Deine Notizen (2)" in markdown


async def test_a_slow_export_shows_that_a_file_is_on_its_way(
    sim: TelegramSimulator, bot: NetcoachApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    import handlers.privacy

    gathered = handlers.privacy.export_member

    async def slowly(runtime: Runtime, who: Identity) -> Any:
        await asyncio.sleep(1.2)  # years of notes, a busy machine
        return await gathered(runtime, who)

    monkeypatch.setattr(handlers.privacy, "export_member", slowly)
    lotte = sim.user("Lotte", language_code="de")
    await chat(lotte, "/start", replies=2)
    before = len(lotte.events)

    await lotte.send("/export")
    await lotte.next_message(timeout=10)
    await lotte.next_message(timeout=10)

    done = [(event.kind, event.action) for event in lotte.events[before:]]
    assert done[0] == ("chat_action", "upload_document")
    assert done[-2:] == [("message", None), ("message", None)]


async def test_delete_removes_every_row_of_the_member_and_nothing_else(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, clock: ShiftableClock
) -> None:
    lotte = sim.user("Lotte", language_code="de")
    other = sim.user("Otto", language_code="de")
    await _member_with_history(lotte)
    await _member_with_history(other)
    lotte_id = await _user_id(runtime, lotte.id)
    other_id = await _user_id(runtime, other.id)
    async with runtime.sessions() as session:
        others_before = await member_rows(session, other_id)

    (question,) = await chat(lotte, "/delete")
    await lotte.press(question, "Nein, behalten")
    await _until_edited(lotte, question.message_id, "nichts gelöscht")
    (question,) = await chat(lotte, "/delete")
    await lotte.press(question, "Ja, alles löschen")
    await _until_edited(lotte, question.message_id, "Alles über dich ist gelöscht")

    async with runtime.sessions() as session:
        for table in member_tables():
            owner = "id" if table.name == "users" else "user_id"
            query = text(f"SELECT count(*) FROM {table.name} WHERE {owner} = :id")
            assert (await session.execute(query, {"id": lotte_id})).scalar_one() == 0, table.name
        telegram_ids = (await session.execute(select(User.telegram_id))).scalars().all()
        assert lotte.id not in telegram_ids
        assert await member_rows(session, other_id) == others_before

    # A week on, the deleted member hears nothing; the other one gets their prompt.
    clock.advance(timedelta(days=7))
    bot.bot_data.dispatcher.kick()
    await bot.bot_data.dispatcher.idle()
    assert await texts_until_quiet(lotte) == []
    assert len(await texts_until_quiet(other)) == 1


async def _until_edited(user: SimUser, message_id: int, wanted: str) -> None:
    for _ in range(50):
        message = next(m for m in user.messages if m.message_id == message_id)
        if wanted in (message.text or ""):
            return
        await user.next_event(timeout=2)
    raise AssertionError(f"message {message_id} never said {wanted!r}")


# The file check reads SQLite's bytes; test_crypto shows the same for a PostgreSQL column.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_with_a_key_a_reflection_is_not_in_the_database_file_but_is_in_the_export(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime, database_url: str
) -> None:
    with using_cipher(FieldCipher(generate_key())):
        lotte = sim.user("Lotte", language_code="de")
        await _member_with_history(lotte)
        path = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
        with sqlite3.connect(path) as connection:  # best effort: move the WAL into the file
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        raw = b"".join(
            candidate.read_bytes()
            for candidate in (path, path.with_name(path.name + "-wal"))
            if candidate.exists()
        )
        assert b"Kumquat-4e1b" not in raw
        await lotte.send("/export")
        exported = await lotte.next_message()
        await lotte.next_message()
        assert exported.document is not None and MARKER.encode() in exported.document.data


def test_keys_generate_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["keys", "generate"]) == 0
    key = capsys.readouterr().out.strip()
    cipher = FieldCipher.from_setting(key)
    place = Binding("reflections", "text", owner=1, row=1)
    assert cipher.decrypt(cipher.encrypt("hallo", place), place) == "hallo"


async def test_keys_rotate_reencrypts_everything_and_can_run_again(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from bot import keys_cli

    old, new = generate_key(), generate_key()
    url = f"sqlite+aiosqlite:///{tmp_path / 'rotate.db'}"
    settings = runtime.settings.model_copy(
        update={
            "database_url": url,
            "encryption_key": SecretStr(new),
            "encryption_old_keys": SecretStr(old),
        }
    )
    from storage.migrate import upgrade_database

    await upgrade_database(url)
    from storage.engine import create_engine, create_session_factory

    engine = create_engine(url)
    sessions = create_session_factory(engine)
    with using_cipher(FieldCipher(old)):
        async with sessions.begin() as session:
            now = runtime.clock.now()
            user = User(telegram_id=1, chat_id=1, language="de", created_at=now, updated_at=now)
            session.add(user)
            await session.flush()
            for n in range(7):
                session.add(Reflection(user_id=user.id, card_key="x", text=f"t{n}", created_at=now))
    await engine.dispose()

    result = await asyncio.to_thread(keys_cli.rotate, settings, batch_size=3)
    assert result == 0
    err = capsys.readouterr().err
    assert "reflections" in err and "7/7" in err and "re-encrypted 7 value(s)" in err
    again = await asyncio.to_thread(keys_cli.rotate, settings, batch_size=3)
    assert again == 0 and "re-encrypted 0 value(s)" in capsys.readouterr().err

    engine = create_engine(url)
    with using_cipher(FieldCipher(new)):
        async with create_session_factory(engine)() as session:
            rows = (await session.execute(select(Reflection))).scalars().all()
            texts = [row.text for row in rows]
    await engine.dispose()
    assert sorted(texts) == [f"t{n}" for n in range(7)]


async def test_without_a_key_the_bot_says_so_once(
    caplog: pytest.LogCaptureFixture, runtime: Runtime
) -> None:
    from bot.wiring import open_runtime

    caplog.set_level(logging.WARNING)
    async with open_runtime(runtime.settings, migrate=False):
        pass
    warnings = [r for r in caplog.records if "NETCOACH_ENCRYPTION_KEY" in r.getMessage()]
    assert len(warnings) == 1


async def test_privacy_says_what_is_stored_how_it_is_protected_and_for_how_long(
    sim: TelegramSimulator, bot: NetcoachApplication, runtime: Runtime
) -> None:
    from bot.screens.privacy import privacy_screen

    ada = sim.user("Ada", language_code="en")
    (answer,) = await chat(ada, "/privacy")
    text = answer.text or ""
    assert "What I store" in text and "/export" in text and "/delete" in text
    assert "not switched on encryption" in text and "until you delete it" in text
    assert "didn't finish (a commitment, say) is deleted after 3 days" in text
    german = privacy_screen("de", encrypted=True, retention_days=90, draft_days=5).text
    assert "verschlüsselt in der Datenbank" in german and "nach 90 Tagen" in german
    assert "nicht abgeschlossen hast (etwa eine Abmachung), lösche ich nach 5 Tagen" in german
