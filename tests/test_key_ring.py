"""Keys an operator can get right: set one later, rotate while members use the bot, start safely.

Keys come from the environment only (never the command line); the bot reads with every
key of its ring and writes with the first; contacts are found under any key, so nothing
is created twice; start-up refuses keys that read none of the stored texts.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, text

from bot.cli import main
from bot.domain import contacts
from bot.domain.members import Identity
from bot.domain.runtime import Runtime
from bot.keys_cli import rotate
from bot.settings import Settings, SettingsError, load_settings
from bot.wiring import open_runtime
from storage.crypto import (
    FieldCipher,
    blind_index,
    generate_key,
    is_encrypted,
    key_id_of,
    normalise_for_index,
    using_cipher,
)
from storage.keyring import rotate_keys
from storage.models import Commitment, Contact, Interaction
from tests.support.contacts import commit_saying_yes, met_saying_yes
from tests.support.legacy import legacy_index, legacy_token
from tests.support.members import add_members
from tests.support.processes import netcoach

OLD_KEY = generate_key()
NEW_KEY = generate_key()


@pytest.fixture(autouse=True)
def _no_cipher() -> Iterator[None]:
    """Every story starts without a key and leaves none behind."""
    with using_cipher(None):
        yield


def with_keys(runtime: Runtime, key: str | None, old: str | None = None) -> Runtime:
    """The runtime as the bot runs it with these settings."""
    update = {
        "encryption_key": None if key is None else SecretStr(key),
        "encryption_old_keys": None if old is None else SecretStr(old),
    }
    return replace(runtime, settings=runtime.settings.model_copy(update=update))


async def members(runtime: Runtime, count: int) -> list[Identity]:
    ids = list(range(501, 501 + count))
    await add_members(runtime, ids)
    return [Identity(telegram_id, telegram_id, "de") for telegram_id in ids]


async def contact_names(runtime: Runtime) -> list[tuple[int, str]]:
    """(member, name) of every contact, read with the current key."""
    async with runtime.sessions() as session:
        rows = (await session.execute(select(Contact).order_by(Contact.id))).scalars()
        return [(row.user_id, row.name) for row in rows]


async def stored_contacts(runtime: Runtime) -> list[tuple[int, str, str]]:
    """(member, name, index) of every contact as stored."""
    async with runtime.sessions() as session:
        query = text("SELECT user_id, name, name_key FROM contacts ORDER BY id")
        return [tuple(row) for row in (await session.execute(query)).all()]  # type: ignore[misc]


async def count(runtime: Runtime, model: type[Contact | Interaction | Commitment]) -> int:
    async with runtime.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


# --- a key for the first time ----------------------------------------------------------


async def test_after_a_key_is_set_met_anna_finds_the_anna_from_before(runtime: Runtime) -> None:
    (lotte,) = await members(runtime, 1)
    await met_saying_yes(runtime, lotte, "Anna beim Kaffee")
    await commit_saying_yes(runtime, lotte, "Anna anrufen bis Freitag")

    with using_cipher(FieldCipher(NEW_KEY)):
        found = await met_saying_yes(runtime, lotte, "anna auf dem Markt")
        await commit_saying_yes(runtime, lotte, "ANNA Blumen schicken bis Freitag")
        await contacts.set_cadence(runtime, lotte, "Anna alle 2 Wochen")
        assert found is not None and found.contact == "Anna"
        assert await count(runtime, Contact) == 1
        assert await count(runtime, Interaction) == 2
        ((_, name, index),) = await stored_contacts(runtime)
        assert name == "Anna"  # still plain until `keys rotate`

        result = await rotate_keys(runtime.sessions, ring=FieldCipher(NEW_KEY))
        ((owner, name, index),) = await stored_contacts(runtime)
        assert result.changed >= 3 and is_encrypted(name)
        assert index == blind_index("Anna", owner)
        await met_saying_yes(runtime, lotte, "Anna im Zug")
        assert await contact_names(runtime) == [(owner, "Anna")]


async def test_the_same_name_of_two_members_is_stored_under_two_different_indexes(
    runtime: Runtime,
) -> None:
    alice, bob = await members(runtime, 2)
    with using_cipher(FieldCipher(NEW_KEY)):
        await met_saying_yes(runtime, alice, "Anna")
        await met_saying_yes(runtime, bob, "Anna")
        (_, _, alices), (_, _, bobs) = await stored_contacts(runtime)
    assert alices != bobs


# --- rotating in the middle of traffic -------------------------------------------------


async def test_rotating_while_members_keep_adding_contacts_duplicates_nothing(
    runtime: Runtime,
) -> None:
    people = await members(runtime, 6)
    names = ["Anna", "Ben", "Clara", "Dora"]
    with using_cipher(FieldCipher(OLD_KEY)):  # the bot before the rotation
        for who in people:
            for name in names:
                await met_saying_yes(runtime, who, f"{name} beim Kaffee")
    # Restarted with the new key first and the old one to read: then `keys rotate`.
    ring = FieldCipher(NEW_KEY, OLD_KEY)
    with using_cipher(ring):

        async def traffic(who: Identity) -> None:
            for round_ in range(4):
                for name in names:
                    spelled = name.upper() if round_ % 2 else f" {name.lower()}"
                    await met_saying_yes(runtime, who, f"{spelled} wieder")
                await met_saying_yes(runtime, who, f"Neu{who.telegram_id}x{round_} getroffen")
                await asyncio.sleep(0)

        rotation = rotate_keys(runtime.sessions, ring=ring, batch_size=3)
        result, *_ = await asyncio.gather(rotation, *(traffic(who) for who in people))
        assert not result.unreadable and result.merged == 0
        assert (await rotate_keys(runtime.sessions, ring=ring)).changed == 0

    with using_cipher(FieldCipher(NEW_KEY)):  # the old key may go now
        stored = await contact_names(runtime)
    per_member = [(owner, normalise_for_index(name)) for owner, name in stored]
    assert len(per_member) == len(set(per_member)) == 6 * (len(names) + 4)
    assert await count(runtime, Interaction) == 6 * (len(names) + 4 * (len(names) + 1))


async def test_rotation_merges_a_contact_an_earlier_version_stored_twice(
    runtime: Runtime,
) -> None:
    (lotte,) = await members(runtime, 1)
    # As 0.1 left it: Anna met before the key was set, and again after (a second Anna).
    await met_saying_yes(runtime, lotte, "Anna beim Kaffee")
    await met_saying_yes(runtime, lotte, "Tom im Büro")
    with using_cipher(FieldCipher(OLD_KEY)):
        await met_saying_yes(runtime, lotte, "Jana im Zug")
        await commit_saying_yes(runtime, lotte, "Anna anrufen bis Freitag")
    anna, tom, jana = await contact_ids(runtime)
    async with runtime.sessions.begin() as session:
        for contact_id, key, name in ((anna, None, "Anna"), (tom, None, "Tom")):
            await session.execute(
                text("UPDATE contacts SET name_key = :index WHERE id = :id"),
                {"index": legacy_index(key, name), "id": contact_id},
            )
        # Jana's row becomes the second Anna, under the key, as the old code wrote it.
        await session.execute(
            text("UPDATE contacts SET name = :name, name_key = :index WHERE id = :id"),
            {
                "name": legacy_token(OLD_KEY, "anna"),
                "index": legacy_index(OLD_KEY, "anna"),
                "id": jana,
            },
        )
        await session.execute(text("UPDATE commitments SET contact_id = :id"), {"id": jana})

    ring = FieldCipher(NEW_KEY, OLD_KEY)
    result = await rotate_keys(runtime.sessions, ring=ring, batch_size=1)
    assert result.merged == 1 and not result.unreadable
    with using_cipher(FieldCipher(NEW_KEY)):
        assert [name for _, name in await contact_names(runtime)] == ["Anna", "Tom"]
        async with runtime.sessions() as session:
            (promise,) = (await session.execute(select(Commitment))).scalars()
            links = (await session.execute(select(Interaction.contact_id))).scalars().all()
        assert promise.contact_id == anna
        assert sorted(links) == sorted([anna, tom, anna])  # Jana's row's meeting is Anna's
        await met_saying_yes(runtime, lotte, "anna noch einmal")
        assert await count(runtime, Contact) == 2


async def contact_ids(runtime: Runtime) -> list[int]:
    async with runtime.sessions() as session:
        return list((await session.execute(select(Contact.id).order_by(Contact.id))).scalars())


# --- `netcoach keys rotate` -------------------------------------------------------------


async def test_keys_rotate_reads_its_keys_from_the_environment_and_binds_old_texts(
    runtime: Runtime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (lotte,) = await members(runtime, 1)
    await met_saying_yes(runtime, lotte, "Anna beim Kaffee")  # plain: before any key
    with using_cipher(FieldCipher(OLD_KEY)):
        await met_saying_yes(runtime, lotte, "Tom im Büro")
    async with runtime.sessions.begin() as session:  # a note as 0.1 stored it
        await session.execute(
            text("UPDATE interactions SET note = :note WHERE contact_id = 2"),
            {"note": legacy_token(OLD_KEY, "im Büro")},
        )
    settings = with_keys(runtime, NEW_KEY, OLD_KEY).settings

    assert await asyncio.to_thread(rotate, settings, batch_size=1) == 0
    err = capsys.readouterr().err
    assert "contacts" in err and "2/2" in err and f"under key {key_id_of(NEW_KEY)}" in err
    assert "NETCOACH_ENCRYPTION_OLD_KEYS may go" in err
    assert await asyncio.to_thread(rotate, settings) == 0
    assert "re-encrypted 0 value(s)" in capsys.readouterr().err
    with using_cipher(FieldCipher(NEW_KEY)):
        async with runtime.sessions() as session:
            notes = (await session.execute(select(Interaction).order_by(Interaction.id))).scalars()
            assert [note.note for note in notes] == ["beim Kaffee", "im Büro"]
    assert all(
        name.startswith(f"enc2:{key_id_of(NEW_KEY)}:")
        for _, name, _ in await stored_contacts(runtime)
    )


def test_keys_on_the_command_line_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # "--old=KEY": a generated key may begin with "-", which argparse would read as an option.
    assert main(["keys", "rotate", f"--old={OLD_KEY}", f"--new={NEW_KEY}"]) == 2
    err = capsys.readouterr().err
    assert "NETCOACH_ENCRYPTION_OLD_KEYS" in err and OLD_KEY not in err and NEW_KEY not in err
    with pytest.raises(SystemExit):
        main(["keys", "rotate", "--help"])
    help_text = capsys.readouterr().out
    assert "NETCOACH_ENCRYPTION_KEY" in help_text and "NETCOACH_ENCRYPTION_OLD_KEYS" in help_text
    assert "--old" not in help_text


def test_keys_rotate_without_a_key_says_what_to_set(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rotate(settings) == 2
    assert "NETCOACH_ENCRYPTION_KEY: not set" in capsys.readouterr().err


async def test_keys_rotate_lists_texts_no_key_reads_and_says_so_in_its_status(
    runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    (lotte,) = await members(runtime, 1)
    lost = generate_key()
    with using_cipher(FieldCipher(lost)):
        await met_saying_yes(runtime, lotte, "Anna beim Kaffee")
    status = await asyncio.to_thread(rotate, with_keys(runtime, NEW_KEY).settings)
    err = capsys.readouterr().err
    assert status == 1
    assert f"contacts.name row 1 (key {key_id_of(lost)}: unknown_key)" in err
    assert "beim Kaffee" not in err and "Anna" not in err


# --- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"encryption_key": NEW_KEY, "encryption_old_keys": "not-a-key"},
            "NETCOACH_ENCRYPTION_OLD_KEYS: each key must be 32 bytes in URL-safe base64",
        ),
        (
            {"encryption_old_keys": OLD_KEY},
            "NETCOACH_ENCRYPTION_OLD_KEYS: old keys are only read; set NETCOACH_ENCRYPTION_KEY",
        ),
        (
            {"encryption_key": NEW_KEY, "encryption_old_keys": f"{OLD_KEY},{NEW_KEY}"},
            "NETCOACH_ENCRYPTION_OLD_KEYS: encryption key",
        ),
    ],
)
def test_old_keys_are_checked_like_the_key_in_one_line(
    values: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_env_file=None, **values)
    assert str(caught.value).startswith(message)
    assert OLD_KEY not in str(caught.value) and NEW_KEY not in str(caught.value)


# --- start-up ---------------------------------------------------------------------------


async def written_with(runtime: Runtime, key: str | None, *texts: str) -> None:
    (lotte,) = await members(runtime, 1)
    with using_cipher(None if key is None else FieldCipher(key)):
        for note in texts:
            await met_saying_yes(runtime, lotte, f"Anna {note}")


async def test_start_up_refuses_a_key_that_reads_none_of_the_stored_texts(
    runtime: Runtime,
) -> None:
    await written_with(runtime, OLD_KEY, "beim Kaffee", "im Zug")
    with pytest.raises(SettingsError) as caught:
        async with open_runtime(with_keys(runtime, NEW_KEY).settings, migrate=False):
            pass
    assert str(caught.value) == (
        "NETCOACH_ENCRYPTION_KEY: this key reads none of the 3 stored texts sampled; they "
        f"were written with key id {key_id_of(OLD_KEY)} (put that key in "
        "NETCOACH_ENCRYPTION_KEY or NETCOACH_ENCRYPTION_OLD_KEYS)"
    )
    with pytest.raises(SettingsError, match="not set, but the 3 stored texts sampled"):
        async with open_runtime(with_keys(runtime, None).settings, migrate=False):
            pass
    async with open_runtime(with_keys(runtime, NEW_KEY, OLD_KEY).settings, migrate=False):
        pass  # with the old key to read, it starts


async def test_start_up_warns_when_the_keys_read_only_some_texts(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    await written_with(runtime, OLD_KEY, "beim Kaffee")
    with using_cipher(FieldCipher(NEW_KEY)):
        await met_saying_yes(runtime, Identity(501, 501, "de"), "Tom im Büro")
    async with open_runtime(with_keys(runtime, NEW_KEY).settings, migrate=False):
        pass
    (warning,) = [r.getMessage() for r in caplog.records if "cannot be read" in r.getMessage()]
    assert (
        f"2 of 4 stored texts sampled cannot be read (written with key id {key_id_of(OLD_KEY)}"
        in warning
    )


async def test_netcoach_run_with_the_wrong_key_stops_with_one_line(
    runtime: Runtime, tmp_path: Path
) -> None:
    await written_with(runtime, OLD_KEY, "beim Kaffee")
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NETCOACH_")},
        "NETCOACH_DATABASE_URL": runtime.settings.database_url,
        "NETCOACH_BOT_TOKEN": "123:not-a-real-token",
        "NETCOACH_API_BASE_URL": "http://127.0.0.1:9/bot",
        "NETCOACH_ENCRYPTION_KEY": NEW_KEY,
    }
    finished = await asyncio.to_thread(netcoach, "run", env=environment, cwd=tmp_path)
    assert finished.returncode == 2
    # Before it: only the migration's INFO lines, no traceback.
    *before, last = finished.stderr.splitlines()
    assert last == (
        "netcoach: NETCOACH_ENCRYPTION_KEY: this key reads none of the 2 stored texts sampled; "
        f"they were written with key id {key_id_of(OLD_KEY)} (put that key in "
        "NETCOACH_ENCRYPTION_KEY or NETCOACH_ENCRYPTION_OLD_KEYS)"
    )
    assert all(" INFO alembic" in line for line in before)
    assert NEW_KEY not in finished.stderr + finished.stdout


# --- processes restarted one after another ---------------------------------------------


async def test_a_draft_from_a_process_with_the_new_key_waits_for_one_that_can_read_it(
    runtime: Runtime,
) -> None:
    """While workers restart one by one, one already writes with the new key: a process
    still on the old key neither drops the member's draft nor calls it damaged."""
    from storage.conversations import get_state, set_state

    await members(runtime, 1)
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user_id = (await session.execute(text("SELECT id FROM users"))).scalar_one()
    with using_cipher(FieldCipher(NEW_KEY, OLD_KEY)):
        async with runtime.sessions.begin() as session:
            await set_state(
                session, user_id, flow="commitment", step="due",
                data={"action": "Anna anrufen"}, now=now,
            )  # fmt: skip
    with using_cipher(FieldCipher(OLD_KEY)):
        async with runtime.sessions.begin() as session:
            assert await get_state(session, user_id) is None  # not this process's to read
    with using_cipher(FieldCipher(NEW_KEY, OLD_KEY)):
        async with runtime.sessions.begin() as session:
            state = await get_state(session, user_id)
            assert state is not None and state.flow == "commitment"
            assert state.data == {"action": "Anna anrufen"}
