"""What members write about other people is unreadable at rest once a key is set."""

from __future__ import annotations

import base64
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import String, Table, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.crypto import (
    DecryptionError,
    FieldCipher,
    blind_index,
    current_cipher,
    from_stored,
    generate_key,
    is_encrypted,
    key_id_of,
    to_stored,
    using_cipher,
)
from storage.encrypted import encrypted_text, reencrypt_column
from storage.engine import create_engine, create_session_factory

Sessions = async_sessionmaker[AsyncSession]

OLD_KEY = generate_key()
NEW_KEY = generate_key()


class NotesBase(DeclarativeBase):
    """A throw-away schema, so these stories do not depend on the real tables."""


class Note(NotesBase):
    """A reflection about a contact, as a member would write it."""

    __tablename__ = "crypto_test_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[encrypted_text]
    contact: Mapped[encrypted_text | None]
    contact_index: Mapped[str | None] = mapped_column(String(64))


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


async def write_note(sessions: Sessions, body: str, contact: str | None = None) -> int:
    async with sessions.begin() as session:
        note = Note(body=body, contact=contact)
        session.add(note)
        await session.flush()
        return note.id


async def read_bodies(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return list((await session.execute(select(Note.body).order_by(Note.id))).scalars())


async def raw_column(sessions: Sessions, column: str = "body") -> list[str | None]:
    """The column exactly as the database holds it, read with plain SQL."""
    async with sessions() as session:
        result = await session.execute(text(f"SELECT {column} FROM crypto_test_notes ORDER BY id"))
        return list(result.scalars())


# --- at rest -------------------------------------------------------------------------


async def sqlite_file_bytes_after_writing(path: Path, body: str) -> tuple[bytes, str]:
    """Write one note to a fresh SQLite file, checkpoint the WAL, return (file bytes, read back)."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(NotesBase.metadata.create_all)
        sessions = create_session_factory(engine)
        await write_note(sessions, body)
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
        await write_note(notes, reflection, contact="Anna")
        assert await read_bodies(notes) == [reflection]
    (stored_body,) = await raw_column(notes)
    (stored_contact,) = await raw_column(notes, "contact")
    assert stored_body is not None and stored_contact is not None
    assert stored_body.startswith(f"enc1:{cipher.primary_key_id}:")
    assert uuid_part(reflection) not in stored_body
    assert "Anna" not in stored_contact


async def test_the_same_text_encrypts_differently_each_time() -> None:
    cipher = FieldCipher(NEW_KEY)
    first, second = cipher.encrypt("Anna"), cipher.encrypt("Anna")
    assert first != second
    assert first.isascii() and is_encrypted(first)
    assert cipher.decrypt(first) == cipher.decrypt(second) == "Anna"


@pytest.mark.parametrize("value", ["", "Jörg 🙂 \n Zeile 2", "x" * 10_000])
def test_any_text_survives_the_round_trip(value: str) -> None:
    cipher = FieldCipher(NEW_KEY)
    assert cipher.decrypt(cipher.encrypt(value)) == value


# --- turning encryption on later --------------------------------------------------------


async def test_notes_written_before_a_key_was_set_are_still_readable(notes: Sessions) -> None:
    before = marker()
    after = marker()
    await write_note(notes, before)
    with using_cipher(FieldCipher(NEW_KEY)):
        await write_note(notes, after)
        assert await read_bodies(notes) == [before, after]
    stored = await raw_column(notes)
    assert stored[0] == before
    assert stored[1] is not None and is_encrypted(stored[1])


async def test_text_that_looks_like_a_token_is_kept_verbatim_without_a_key(
    notes: Sessions,
) -> None:
    tricky = ["enc1:deadbeef:AAAA", "enc0:already escaped", "enc7:", "encore: une fois"]
    for value in tricky:
        await write_note(notes, value)
    assert await read_bodies(notes) == tricky
    with using_cipher(FieldCipher(NEW_KEY)):
        assert await read_bodies(notes) == tricky


# --- wrong keys and tampering -----------------------------------------------------------


def test_a_wrong_key_raises_naming_the_key_id() -> None:
    token = FieldCipher(OLD_KEY).encrypt("Anna")
    with pytest.raises(DecryptionError, match=key_id_of(OLD_KEY)) as caught:
        FieldCipher(NEW_KEY).decrypt(token)
    assert caught.value.key_id == key_id_of(OLD_KEY)


async def test_reading_encrypted_notes_with_the_wrong_key_fails_loudly(notes: Sessions) -> None:
    with using_cipher(FieldCipher(OLD_KEY)):
        await write_note(notes, marker())
    with using_cipher(FieldCipher(NEW_KEY)), pytest.raises(DecryptionError, match="not config"):
        await read_bodies(notes)
    with pytest.raises(DecryptionError, match="no NETCOACH_ENCRYPTION_KEY"):
        await read_bodies(notes)


def flip_one_character(token: str, position: int) -> str:
    replacement = "A" if token[position] != "A" else "B"
    return token[:position] + replacement + token[position + 1 :]


@pytest.mark.parametrize("position", [-1, -20, 20])
def test_a_tampered_token_raises(position: int) -> None:
    cipher = FieldCipher(NEW_KEY)
    token = cipher.encrypt("Anna schuldet mir 20 Euro")
    with pytest.raises(DecryptionError, match=cipher.primary_key_id):
        cipher.decrypt(flip_one_character(token, position))


def test_a_truncated_or_relabelled_token_raises() -> None:
    both = FieldCipher(NEW_KEY, OLD_KEY)
    token = both.encrypt("Anna")
    relabelled = token.replace(key_id_of(NEW_KEY), key_id_of(OLD_KEY), 1)
    kid = key_id_of(NEW_KEY)
    short = (token[:30], token[:-3], f"enc1:{kid}:AAAA", f"enc1:{kid}:", f"enc1:{kid}:A")
    for broken in (*short, relabelled, "enc1:nothex:AAAA", "enc1:"):
        with pytest.raises(DecryptionError):
            both.decrypt(broken)


def test_a_token_cannot_be_silently_truncated_into_plain_text() -> None:
    token = FieldCipher(NEW_KEY).encrypt("Anna")
    with pytest.raises(DecryptionError):
        from_stored(token[:12], FieldCipher(NEW_KEY))


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


def test_several_keys_from_one_setting_encrypt_with_the_first() -> None:
    cipher = FieldCipher.from_setting(f" {NEW_KEY}, {OLD_KEY} ")
    assert cipher.key_ids == (key_id_of(NEW_KEY), key_id_of(OLD_KEY))
    assert cipher.decrypt(FieldCipher(OLD_KEY).encrypt("alt")) == "alt"
    assert cipher.encrypt("neu").startswith(f"enc1:{key_id_of(NEW_KEY)}:")
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
    assert to_stored("Anna", None) == "Anna"
    assert to_stored("enc1:x", None) == "enc0:enc1:x"
    assert from_stored(to_stored("enc1:x", None), None) == "enc1:x"
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
    ]
    for comparison in comparisons:
        with pytest.raises(TypeError, match="blind index"):
            comparison()
    assert str(Note.contact.is_(None)) == "crypto_test_notes.contact IS NULL"
    assert str(Note.contact == None) == "crypto_test_notes.contact IS NULL"  # noqa: E711
    assert str(Note.contact.is_not(None)) == "crypto_test_notes.contact IS NOT NULL"


def test_a_blind_index_matches_a_name_however_it_is_typed() -> None:
    with using_cipher(FieldCipher(NEW_KEY)):
        anna = blind_index("Anna")
        assert blind_index(" anna ") == blind_index("ANNA") == anna
        assert blind_index("Anna  Müller") == blind_index("anna\tMÜLLER")
        assert blind_index("Anne") != anna
    with using_cipher(FieldCipher(OLD_KEY)):
        assert blind_index("Anna") != anna
    unkeyed = blind_index("Anna")
    assert unkeyed == blind_index(" ANNA") and unkeyed not in {anna, blind_index("Anne")}
    assert len(anna) == 64 and "anna" not in anna


async def test_a_contact_is_found_by_its_blind_index_without_decrypting(notes: Sessions) -> None:
    with using_cipher(FieldCipher(NEW_KEY)):
        for name in ("Anna", "Anne", "Bernd"):
            async with notes.begin() as session:
                session.add(Note(body="...", contact=name, contact_index=blind_index(name)))
        async with notes() as session:
            found = await session.execute(
                select(Note.contact).where(Note.contact_index == blind_index("  ANNA"))
            )
            assert found.scalars().all() == ["Anna"]


# --- rotation --------------------------------------------------------------------------


class Interrupted(Exception):
    """Stands in for a crash or Ctrl-C part-way through a rotation."""


async def test_rotation_reencrypts_in_batches_survives_an_interruption_and_resumes(
    notes: Sessions,
) -> None:
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
            await write_note(notes, body, contact)
    current = f"enc1:{new.primary_key_id}:"

    async def rotate(progress: Callable[[int, int], None] | None = None) -> int:
        return await reencrypt_column(
            notes,
            cast(Table, Note.__table__),
            ["body", "contact"],
            "id",
            old=old,
            new=new,
            batch_size=3,
            progress=progress,
            blind_indexes={"contact_index": "contact"},
        )

    seen: list[tuple[int, int]] = []

    def stop_after_first_batch(done: int, total: int) -> None:
        seen.append((done, total))
        raise Interrupted

    rotating = new.accepting(old)  # what the app runs with during a rotation
    with using_cipher(rotating), pytest.raises(Interrupted):
        await rotate(stop_after_first_batch)
    assert seen == [(3, 7)]
    assert [v is not None and v.startswith(current) for v in await raw_column(notes)] == [
        True, True, True, False, False, True, False, False
    ]  # fmt: skip

    resumed: list[tuple[int, int]] = []
    with using_cipher(rotating):
        changed = await rotate(lambda done, total: resumed.append((done, total)))
    assert changed == 4  # 8 rows - 1 already new - 3 done before the interruption
    assert resumed == [(3, 4), (4, 4)]
    assert await rotate() == 0

    assert all(v is not None and v.startswith(current) for v in await raw_column(notes))
    assert all(v is None or v.startswith(current) for v in await raw_column(notes, "contact"))
    with using_cipher(FieldCipher(NEW_KEY)):  # only the new key is needed from now on
        assert await read_bodies(notes) == [body for body, _, _ in history]
        async with notes() as session:
            rows = (
                await session.execute(
                    select(Note.contact, Note.contact_index).where(Note.id != 6).order_by(Note.id)
                )
            ).all()
    assert rows == [
        (contact, None if contact is None else new.blind_index(contact))
        for body, contact, _ in history
        if contact != "Dora"
    ]


async def test_a_member_can_edit_and_delete_an_encrypted_reflection(notes: Sessions) -> None:
    with using_cipher(FieldCipher(NEW_KEY)):
        note_id = await write_note(notes, "erste Fassung", contact="Anna")
        async with notes.begin() as session:
            note = await session.get(Note, note_id)
            assert note is not None and note.body == "erste Fassung"
            note.body = "zweite Fassung"
            note.contact = None
        assert await read_bodies(notes) == ["zweite Fassung"]
        assert await raw_column(notes, "contact") == [None]
        async with notes.begin() as session:
            await session.delete(await session.get(Note, note_id))
        assert await read_bodies(notes) == []
