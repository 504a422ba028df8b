"""What members write is unreadable at rest once a key is set, and bound to where it belongs."""

from __future__ import annotations

import base64
import logging
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import String, Table, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.crypto import (
    Binding,
    DecryptionError,
    FieldCipher,
    blind_index,
    blind_index_candidates,
    blind_index_candidates_of,
    current_cipher,
    from_stored,
    generate_key,
    is_encrypted,
    key_id_of,
    to_stored,
    using_cipher,
)
from storage.encrypted import encrypted_json, encrypted_text, sealed_table
from storage.engine import create_engine, create_session_factory
from storage.keyring import reencrypt_table
from storage.unreadable import (
    UnreadableReport,
    UnreadableText,
    is_unreadable,
    listen_for_unreadable,
)
from tests.support.legacy import legacy_token

Sessions = async_sessionmaker[AsyncSession]

OLD_KEY = generate_key()
NEW_KEY = generate_key()
ALICE, BOB = 1, 2


class NotesBase(DeclarativeBase):
    """A throw-away schema, so these stories do not depend on the real tables."""


class Note(NotesBase):
    """A reflection about a contact, as a member would write it, and a draft."""

    __tablename__ = "crypto_test_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    body: Mapped[encrypted_text]
    contact: Mapped[encrypted_text | None]
    contact_index: Mapped[str | None] = mapped_column(
        String(64), info={"blind_index_of": "contact"}
    )
    draft: Mapped[encrypted_json | None]


NOTES = sealed_table(Note.__table__)  # type: ignore[arg-type]


def marker() -> str:
    """A text that appears nowhere unless we wrote it."""
    return f"Treffen mit Anna Müller {uuid.uuid4().hex}"


@pytest.fixture(autouse=True)
def _no_cipher() -> Iterator[None]:
    """Every story starts without a key and leaves none behind."""
    with using_cipher(None):
        yield


@pytest.fixture
async def notes(database_url: str) -> AsyncIterator[Sessions]:
    """Sessions on the test database (SQLite and PostgreSQL) with the notes table."""
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(NotesBase.metadata.drop_all)
        await connection.run_sync(NotesBase.metadata.create_all)
    yield create_session_factory(engine)
    async with engine.begin() as connection:
        await connection.run_sync(NotesBase.metadata.drop_all)
    await engine.dispose()


async def write_note(
    sessions: Sessions,
    body: str,
    contact: str | None = None,
    *,
    owner: int = ALICE,
    draft: dict[str, Any] | None = None,
) -> int:
    async with sessions.begin() as session:
        note = Note(user_id=owner, body=body, contact=contact, draft=draft)
        session.add(note)
        await session.flush()
        return note.id


async def read_notes(sessions: Sessions) -> list[Note]:
    async with sessions() as session:
        return list((await session.execute(select(Note).order_by(Note.id))).scalars())


async def read_bodies(sessions: Sessions) -> list[str]:
    return [note.body for note in await read_notes(sessions)]


async def raw_column(sessions: Sessions, column: str = "body") -> list[Any]:
    """The column exactly as the database holds it, read with plain SQL."""
    async with sessions() as session:
        result = await session.execute(text(f"SELECT {column} FROM crypto_test_notes ORDER BY id"))
        return list(result.scalars())


async def move_value(sessions: Sessions, column: str, *, source: int, target: int) -> None:
    """What someone with write access but no key can do: copy a stored value to another row."""
    async with sessions.begin() as session:
        await session.execute(
            text(
                f"UPDATE crypto_test_notes SET {column} = "
                f"(SELECT {column} FROM crypto_test_notes WHERE id = :source) WHERE id = :target"
            ),
            {"source": source, "target": target},
        )


# --- at rest -------------------------------------------------------------------------


async def sqlite_file_bytes_after_writing(path: Path, body: str) -> tuple[bytes, str]:
    """Write one note to a fresh SQLite file, checkpoint the WAL, return (file bytes, read back)."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(NotesBase.metadata.create_all)
        sessions = create_session_factory(engine)
        await write_note(sessions, body, draft={"action": body})
        before_checkpoint = b"".join(p.read_bytes() for p in path.parent.glob(f"{path.name}*"))
        with sqlite3.connect(path) as checkpointer:
            checkpointer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        after_checkpoint = b"".join(p.read_bytes() for p in path.parent.glob(f"{path.name}*"))
        (read_back,) = await read_bodies(sessions)
    finally:
        await engine.dispose()
    return before_checkpoint + after_checkpoint, read_back


async def test_a_reflection_written_with_a_key_is_not_in_the_sqlite_files(tmp_path: Path) -> None:
    reflection = marker()
    with using_cipher(FieldCipher(NEW_KEY)):
        raw, read_back = await sqlite_file_bytes_after_writing(tmp_path / "notes.db", reflection)
    assert read_back == reflection
    assert reflection.encode() not in raw
    assert uuid_part(reflection).encode() not in raw


async def test_without_a_key_the_same_search_does_find_the_reflection(tmp_path: Path) -> None:
    # The control for the story above: the byte search is able to see plain text.
    reflection = marker()
    raw, read_back = await sqlite_file_bytes_after_writing(tmp_path / "notes.db", reflection)
    assert read_back == reflection
    assert reflection.encode() in raw


def uuid_part(reflection: str) -> str:
    return reflection.rsplit(" ", 1)[1]


async def test_the_database_holds_only_ciphertext_yet_the_app_reads_plain_text(
    notes: Sessions,
) -> None:
    reflection = marker()
    cipher = FieldCipher(NEW_KEY)
    with using_cipher(cipher):
        await write_note(notes, reflection, contact="Anna", draft={"action": reflection})
        (note,) = await read_notes(notes)
    assert (note.body, note.contact, note.draft) == (reflection, "Anna", {"action": reflection})
    (stored_body,) = await raw_column(notes)
    (stored_contact,) = await raw_column(notes, "contact")
    (stored_draft,) = await raw_column(notes, "draft")
    assert stored_body.startswith(f"enc2:{cipher.primary_key_id}:")
    assert uuid_part(reflection) not in stored_body
    assert "Anna" not in stored_contact
    assert uuid_part(reflection) not in stored_draft and "action" not in stored_draft


async def test_the_same_text_encrypts_differently_each_time() -> None:
    cipher = FieldCipher(NEW_KEY)
    place = Binding("reflections", "text", ALICE, 1)
    first, second = cipher.encrypt("Anna", place), cipher.encrypt("Anna", place)
    assert first != second
    assert first.isascii() and is_encrypted(first)
    assert cipher.decrypt(first, place) == cipher.decrypt(second, place) == "Anna"


@pytest.mark.parametrize("value", ["", "Jörg 🙂 \n Zeile 2", "x" * 10_000])
def test_any_text_survives_the_round_trip(value: str) -> None:
    cipher = FieldCipher(NEW_KEY)
    place = Binding("reflections", "text", ALICE, 1)
    assert cipher.decrypt(cipher.encrypt(value, place), place) == value


# --- bound to its place ----------------------------------------------------------------


@pytest.mark.parametrize(
    "elsewhere",
    [
        Binding("reflections", "text", BOB, 1),  # another member
        Binding("reflections", "text", ALICE, 2),  # another row of the same member
        Binding("commitments", "action", ALICE, 1),  # another table
        Binding("reflections", "note", ALICE, 1),  # another column
    ],
)
def test_a_token_read_anywhere_but_its_own_place_fails(elsewhere: Binding) -> None:
    cipher = FieldCipher(NEW_KEY)
    token = cipher.encrypt("Alice's private reflection", Binding("reflections", "text", ALICE, 1))
    with pytest.raises(DecryptionError, match="moved from another row or member") as caught:
        cipher.decrypt(token, elsewhere)
    assert caught.value.reason == "failed"
    with pytest.raises(DecryptionError, match="without its place"):
        cipher.decrypt(token)


async def test_alices_note_copied_into_bobs_row_is_unreadable_there_and_bob_is_unaffected(
    notes: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Alice's private reflection " + uuid.uuid4().hex
    heard: list[UnreadableReport] = []
    listen_for_unreadable(notes, heard.append)
    with using_cipher(FieldCipher(NEW_KEY)):
        alice_note = await write_note(notes, secret, contact="Dr. Meier", owner=ALICE)
        bob_note = await write_note(notes, "Bob's own note", contact="Tom", owner=BOB)
        await write_note(notes, "Bob's other note", owner=BOB)
        await move_value(notes, "body", source=alice_note, target=bob_note)
        await move_value(notes, "contact", source=alice_note, target=bob_note)
        caplog.set_level(logging.WARNING)
        alice, bob, bob_second = await read_notes(notes)
    assert (alice.body, alice.contact) == (secret, "Dr. Meier")
    assert is_unreadable(bob.body) and is_unreadable(bob.contact)
    assert isinstance(bob.body, UnreadableText) and bob.body == "" and bob.body.reason == "failed"
    assert bob_second.body == "Bob's other note"
    assert [(r.table, r.column, r.row, r.owner, r.reason) for r in heard] == [
        ("crypto_test_notes", "body", bob_note, BOB, "failed"),
        ("crypto_test_notes", "contact", bob_note, BOB, "failed"),
    ]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"crypto_test_notes.body, row {bob_note} of member {BOB}" in logged
    assert uuid_part(secret) not in logged and "Meier" not in logged


async def test_a_note_moved_between_rows_of_the_same_member_is_unreadable_too(
    notes: Sessions,
) -> None:
    with using_cipher(FieldCipher(NEW_KEY)):
        first = await write_note(notes, "first", draft={"action": "Anna anrufen"})
        second = await write_note(notes, "second", draft={"action": "Tom schreiben"})
        await move_value(notes, "body", source=first, target=second)
        await move_value(notes, "draft", source=first, target=second)
        one, two = await read_notes(notes)
    assert (one.body, one.draft) == ("first", {"action": "Anna anrufen"})
    assert is_unreadable(two.body) and is_unreadable(two.draft) and two.draft == {}


async def test_an_unreadable_text_is_never_written_back(notes: Sessions) -> None:
    with using_cipher(FieldCipher(NEW_KEY)):
        first = await write_note(notes, "first")
        second = await write_note(notes, "second")
        await move_value(notes, "body", source=first, target=second)
        async with notes.begin() as session:
            moved = await session.get(Note, second)
            assert moved is not None and is_unreadable(moved.body)
            moved.contact = "Anna"  # other changes to the row still save
        async with notes() as session:
            readable, moved = (await session.execute(select(Note).order_by(Note.id))).scalars()
            readable.body = moved.body  # e.g. a name copied into a new row
            with pytest.raises(ValueError, match="unreadable value cannot be written back"):
                await session.flush()
        assert await read_bodies(notes) == ["first", ""]
    (_, stored_contact) = await raw_column(notes, "contact")
    assert is_encrypted(stored_contact)


async def test_writing_an_encrypted_column_outside_the_orm_is_refused(notes: Sessions) -> None:
    table: Table = Note.__table__  # type: ignore[assignment]
    for cipher in (None, FieldCipher(NEW_KEY)):
        with using_cipher(cipher):
            async with notes() as session:
                with pytest.raises(Exception, match="written through the ORM"):
                    await session.execute(insert(table).values(user_id=ALICE, body="plain"))
                await session.rollback()
                with pytest.raises(Exception, match="written through the ORM"):
                    await session.execute(update(table).values(body="plain"))
    assert await raw_column(notes) == []


# --- earlier tokens (enc1) -------------------------------------------------------------


async def test_notes_written_before_tokens_were_bound_still_read_and_rotation_binds_them(
    notes: Sessions,
) -> None:
    assert NOTES is not None
    async with notes.begin() as session:  # as the earlier version stored them
        await session.execute(
            text(
                "INSERT INTO crypto_test_notes (id, user_id, body, contact) "
                "VALUES (1, :alice, :alice_note, NULL), (2, :bob, :bob_note, NULL)"
            ),
            {
                "alice": ALICE,
                "bob": BOB,
                "alice_note": legacy_token(OLD_KEY, "Alice, before"),
                "bob_note": legacy_token(OLD_KEY, "Bob, before"),
            },
        )
    ring = FieldCipher(OLD_KEY)
    with using_cipher(ring):
        assert await read_bodies(notes) == ["Alice, before", "Bob, before"]
        result = await reencrypt_table(notes, NOTES, ring=ring)
        assert result.changed == 2 and not result.unreadable
        assert all(v.startswith(f"enc2:{key_id_of(OLD_KEY)}:") for v in await raw_column(notes))
        assert await read_bodies(notes) == ["Alice, before", "Bob, before"]
        await move_value(notes, "body", source=1, target=2)  # bound now: no longer movable
        assert [is_unreadable(body) for body in await read_bodies(notes)] == [False, True]


# --- turning encryption on later --------------------------------------------------------


async def test_notes_written_before_a_key_was_set_are_still_readable(notes: Sessions) -> None:
    before = marker()
    after = marker()
    await write_note(notes, before, draft={"action": before})
    with using_cipher(FieldCipher(NEW_KEY)):
        await write_note(notes, after)
        assert await read_bodies(notes) == [before, after]
        assert (await read_notes(notes))[0].draft == {"action": before}
    stored = await raw_column(notes)
    assert stored[0] == before
    assert is_encrypted(stored[1])


async def test_text_that_looks_like_a_token_is_kept_verbatim_without_a_key(
    notes: Sessions,
) -> None:
    tricky = ["enc1:deadbeef:AAAA", "enc2:deadbeef:AAAA", "enc0:escaped", "enc7:", "encore: oui"]
    for value in tricky:
        await write_note(notes, value)
    assert await read_bodies(notes) == tricky
    with using_cipher(FieldCipher(NEW_KEY)):
        assert await read_bodies(notes) == tricky


# --- wrong keys and tampering -----------------------------------------------------------


def test_a_wrong_key_raises_naming_the_key_id() -> None:
    place = Binding("reflections", "text", ALICE, 1)
    token = FieldCipher(OLD_KEY).encrypt("Anna", place)
    with pytest.raises(DecryptionError, match=key_id_of(OLD_KEY)) as caught:
        FieldCipher(NEW_KEY).decrypt(token, place)
    assert caught.value.key_id == key_id_of(OLD_KEY)
    assert caught.value.reason == "unknown_key"


async def test_notes_under_a_key_not_configured_load_as_unreadable_not_as_a_crash(
    notes: Sessions,
) -> None:
    with using_cipher(FieldCipher(OLD_KEY)):
        await write_note(notes, marker())
    with using_cipher(FieldCipher(NEW_KEY)):
        (note,) = await read_notes(notes)
    assert is_unreadable(note.body) and isinstance(note.body, UnreadableText)
    assert note.body.reason == "unknown_key"
    (note,) = await read_notes(notes)
    assert isinstance(note.body, UnreadableText) and note.body.reason == "no_key"


def flip_one_character(token: str, position: int) -> str:
    replacement = "A" if token[position] != "A" else "B"
    return token[:position] + replacement + token[position + 1 :]


@pytest.mark.parametrize("position", [-1, -20, 20])
def test_a_tampered_token_raises(position: int) -> None:
    cipher = FieldCipher(NEW_KEY)
    place = Binding("interactions", "note", ALICE, 3)
    token = cipher.encrypt("Anna schuldet mir 20 Euro", place)
    with pytest.raises(DecryptionError, match=cipher.primary_key_id):
        cipher.decrypt(flip_one_character(token, position), place)


def test_a_truncated_or_relabelled_token_raises() -> None:
    both = FieldCipher(NEW_KEY, OLD_KEY)
    place = Binding("contacts", "name", ALICE, 1)
    token = both.encrypt("Anna", place)
    relabelled = token.replace(key_id_of(NEW_KEY), key_id_of(OLD_KEY), 1)
    downgraded = token.replace("enc2:", "enc1:", 1)
    kid = key_id_of(NEW_KEY)
    short = (token[:30], token[:-3], f"enc2:{kid}:AAAA", f"enc2:{kid}:", f"enc2:{kid}:A")
    for broken in (*short, relabelled, downgraded, "enc2:nothex:AAAA", "enc2:"):
        with pytest.raises(DecryptionError):
            both.decrypt(broken, place)


def test_a_token_cannot_be_silently_truncated_into_plain_text() -> None:
    place = Binding("contacts", "name", ALICE, 1)
    token = FieldCipher(NEW_KEY).encrypt("Anna", place)
    with pytest.raises(DecryptionError):
        from_stored(token[:12], FieldCipher(NEW_KEY), place)


# --- keys ------------------------------------------------------------------------------


def test_a_generated_key_is_32_random_bytes_in_url_safe_base64() -> None:
    key = generate_key()
    assert set(key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(base64.urlsafe_b64decode(key + "=")) == 32
    assert generate_key() != key
    FieldCipher(key)
    FieldCipher(key + "=")


@pytest.mark.parametrize(
    "bad",
    ["", "too-short", base64.urlsafe_b64encode(b"x" * 31).decode(), "ä" * 43, "a b c", "@" * 43],
)
def test_an_unusable_key_is_refused_with_a_message_an_operator_understands(bad: str) -> None:
    with pytest.raises(ValueError, match="netcoach keys generate") as caught:
        FieldCipher(bad)
    with pytest.raises(ValueError, match="netcoach keys generate"):
        FieldCipher.from_setting(bad)
    assert "32 bytes in URL-safe base64" in str(caught.value)
    if len(bad) > 4:
        assert bad not in str(caught.value)


def test_several_keys_encrypt_with_the_first_and_read_with_all() -> None:
    cipher = FieldCipher.from_setting(f" {NEW_KEY}, ", OLD_KEY)
    place = Binding("reflections", "text", ALICE, 9)
    assert cipher.key_ids == (key_id_of(NEW_KEY), key_id_of(OLD_KEY))
    assert cipher.decrypt(FieldCipher(OLD_KEY).encrypt("alt", place), place) == "alt"
    assert cipher.decrypt(legacy_token(OLD_KEY, "älter")) == "älter"
    assert cipher.encrypt("neu", place).startswith(f"enc2:{key_id_of(NEW_KEY)}:")
    with pytest.raises(ValueError, match="configured twice"):
        FieldCipher(NEW_KEY, NEW_KEY)


def test_a_cipher_never_shows_its_keys() -> None:
    cipher = FieldCipher(NEW_KEY, OLD_KEY)
    assert NEW_KEY not in repr(cipher) and OLD_KEY not in repr(cipher)
    assert key_id_of(NEW_KEY) in repr(cipher)


def test_using_cipher_restores_the_previous_setting() -> None:
    outer, inner = FieldCipher(OLD_KEY), FieldCipher(NEW_KEY)
    with using_cipher(outer):
        with using_cipher(inner):
            assert current_cipher() is inner
        assert current_cipher() is outer
    assert current_cipher() is None


def test_stored_forms_without_a_key_are_plain_and_unambiguous() -> None:
    place = Binding("reflections", "text", ALICE, 1)
    assert to_stored("Anna", None, place) == "Anna"
    assert to_stored("enc2:x", None, place) == "enc0:enc2:x"
    assert from_stored(to_stored("enc2:x", None, place), None) == "enc2:x"
    with pytest.raises(DecryptionError, match="unknown storage format"):
        from_stored("enc9:future", None)


# --- searching -------------------------------------------------------------------------


def test_encrypted_columns_refuse_sql_comparisons_that_could_never_match() -> None:
    comparisons: list[Callable[[], object]] = [
        lambda: Note.body == "Anna",
        lambda: Note.body != "Anna",
        lambda: Note.body.in_(["Anna"]),
        lambda: Note.contact.ilike("anna"),
        lambda: Note.contact.startswith("An"),
        lambda: Note.draft == {"action": "x"},
    ]
    for comparison in comparisons:
        with pytest.raises(TypeError, match="blind index"):
            comparison()
    assert str(Note.contact.is_(None)) == "crypto_test_notes.contact IS NULL"
    assert str(Note.contact == None) == "crypto_test_notes.contact IS NULL"  # noqa: E711
    assert str(Note.contact.is_not(None)) == "crypto_test_notes.contact IS NOT NULL"


def test_a_blind_index_matches_a_name_however_it_is_typed() -> None:
    with using_cipher(FieldCipher(NEW_KEY)):
        anna = blind_index("Anna", ALICE)
        assert blind_index(" anna ", ALICE) == blind_index("ANNA", ALICE) == anna
        assert blind_index("Anna  Müller", ALICE) == blind_index("anna\tMÜLLER", ALICE)
        assert blind_index("Anne", ALICE) != anna
    with using_cipher(FieldCipher(OLD_KEY)):
        assert blind_index("Anna", ALICE) != anna
    unkeyed = blind_index("Anna", ALICE)
    assert unkeyed == blind_index(" ANNA", ALICE) and unkeyed not in {anna, blind_index("Anne", 1)}
    assert len(anna) == 64 and "anna" not in anna


def test_the_names_of_a_whole_text_get_the_same_indexes_as_one_by_one() -> None:
    names = ["Anna", " anna  Müller ", "ANNA von Berg", "\ufb01ona", "@tom"]
    for cipher in (None, FieldCipher(NEW_KEY), FieldCipher(NEW_KEY, OLD_KEY)):
        with using_cipher(cipher):
            one_by_one = [blind_index_candidates(name, ALICE) for name in names]
            assert blind_index_candidates_of(names, ALICE) == one_by_one


def test_the_same_name_of_two_members_gives_two_different_index_values() -> None:
    for cipher in (None, FieldCipher(NEW_KEY)):
        with using_cipher(cipher):
            assert blind_index("Anna", ALICE) != blind_index("Anna", BOB)
            alice, bob = blind_index_candidates("Anna", ALICE), blind_index_candidates("Anna", BOB)
            # Only the earlier member-less forms (rows not yet rotated) are shared.
            assert len(set(alice) & set(bob)) == len(alice) // 2


def test_a_look_up_tries_every_key_no_key_and_the_earlier_forms() -> None:
    ring = FieldCipher(NEW_KEY, OLD_KEY)
    with using_cipher(ring):
        candidates = blind_index_candidates("Anna", ALICE)
        assert candidates[0] == blind_index("Anna", ALICE)  # the one new rows get, first
    with using_cipher(None):
        assert blind_index("Anna", ALICE) in candidates  # written before any key was set
    with using_cipher(FieldCipher(OLD_KEY)):
        assert blind_index("Anna", ALICE) in candidates  # written under the old key
    assert len(candidates) == 6 == len(set(candidates))


async def test_a_contact_is_found_by_its_blind_index_without_decrypting(notes: Sessions) -> None:
    with using_cipher(FieldCipher(NEW_KEY)):
        for name in ("Anna", "Anne", "Bernd"):
            async with notes.begin() as session:
                index = blind_index(name, ALICE)
                session.add(Note(user_id=ALICE, body="...", contact=name, contact_index=index))
        async with notes() as session:
            found = await session.execute(
                select(Note).where(Note.contact_index == blind_index("  ANNA", ALICE))
            )
            assert [note.contact for note in found.scalars()] == ["Anna"]


# --- rotation --------------------------------------------------------------------------


class Interrupted(Exception):
    """Stands in for a crash or Ctrl-C part-way through a rotation."""


async def test_rotation_reencrypts_in_batches_survives_an_interruption_and_resumes(
    notes: Sessions,
) -> None:
    assert NOTES is not None
    old, new = FieldCipher(OLD_KEY), FieldCipher(NEW_KEY)
    # (body, contact, the key it was written with), in id order.
    history: list[tuple[str, str | None, FieldCipher | None]] = [
        (marker(), "Anna", None),  # before any key was set
        (marker(), None, None),
        ("enc1:looks like a token", None, None),  # plain text, stored escaped
        (marker(), "Bernd", old),
        (marker(), "Clara", old),
        (marker(), "Dora", new),  # already under the new key: left alone
        (marker(), None, old),
        (marker(), "Emil", old),
    ]
    for body, contact, cipher in history:
        with using_cipher(cipher):
            await write_note(notes, body, contact, draft={"about": contact})
    current = f"enc2:{new.primary_key_id}:"
    rotating = new.accepting(old)  # what the app runs with during a rotation

    async def rotate(progress: Callable[[int, int], None] | None = None) -> int:
        assert NOTES is not None
        result = await reencrypt_table(notes, NOTES, ring=rotating, batch_size=3, progress=progress)
        assert not result.unreadable
        return result.changed

    seen: list[tuple[int, int]] = []

    def stop_after_first_batch(done: int, total: int) -> None:
        seen.append((done, total))
        raise Interrupted

    with using_cipher(rotating), pytest.raises(Interrupted):
        await rotate(stop_after_first_batch)
    assert seen == [(3, 7)]
    assert [v.startswith(current) for v in await raw_column(notes)] == [
        True, True, True, False, False, True, False, False
    ]  # fmt: skip

    resumed: list[tuple[int, int]] = []
    with using_cipher(rotating):
        changed = await rotate(lambda done, total: resumed.append((done, total)))
    assert changed == 4  # 8 rows - 1 already new - 3 done before the interruption
    assert resumed == [(3, 4), (4, 4)]
    assert await rotate() == 0

    assert all(v.startswith(current) for v in await raw_column(notes))
    assert all(v is None or v.startswith(current) for v in await raw_column(notes, "contact"))
    assert all(current in v for v in await raw_column(notes, "draft"))
    with using_cipher(FieldCipher(NEW_KEY)):  # only the new key is needed from now on
        rows = await read_notes(notes)
    assert [row.body for row in rows] == [body for body, _, _ in history]
    assert [row.draft for row in rows] == [{"about": contact} for _, contact, _ in history]
    assert [(row.contact, row.contact_index) for row in rows if row.contact != "Dora"] == [
        (contact, None if contact is None else new.blind_index(contact, ALICE))
        for _, contact, _ in history
        if contact != "Dora"
    ]


async def test_rotation_leaves_a_value_it_cannot_read_and_reports_where_it_is(
    notes: Sessions,
) -> None:
    assert NOTES is not None
    with using_cipher(FieldCipher(OLD_KEY)):
        await write_note(notes, "under a key that is gone")
    await write_note(notes, "plain")
    result = await reencrypt_table(notes, NOTES, ring=FieldCipher(NEW_KEY))
    assert result.changed == 1
    assert [(r.row, r.key_id, r.reason) for r in result.unreadable] == [
        (1, key_id_of(OLD_KEY), "unknown_key")
    ]
    first, second = await raw_column(notes)
    assert first.startswith(f"enc2:{key_id_of(OLD_KEY)}:") and second.startswith("enc2:")


async def test_a_member_can_edit_and_delete_an_encrypted_reflection(notes: Sessions) -> None:
    with using_cipher(FieldCipher(NEW_KEY)):
        note_id = await write_note(notes, "erste Fassung", contact="Anna")
        async with notes.begin() as session:
            note = await session.get(Note, note_id)
            assert note is not None and note.body == "erste Fassung"
            note.body = "zweite Fassung"
            note.contact = None
            note.draft = {"step": 2}
        assert await read_bodies(notes) == ["zweite Fassung"]
        assert await raw_column(notes, "contact") == [None]
        (note,) = await read_notes(notes)
        assert note.draft == {"step": 2}
        async with notes.begin() as session:
            await session.delete(await session.get(Note, note_id))
        assert await read_bodies(notes) == []
