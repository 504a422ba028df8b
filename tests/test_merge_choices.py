"""Which contact to merge into: a page of the member's other contacts, read a page at a time.

Names are sealed, so every contact read is a name decrypted: a page press reads the page,
not the member's whole address book.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.domain.contact_page import MERGE_CHOICES_PAGE_SIZE, merge_choices
from bot.domain.members import Identity
from bot.domain.runtime import Runtime
from storage.crypto import blind_index
from storage.models import Contact
from storage.users import get_user_by_telegram_id
from tests.support.members import add_members, sealed  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("sealed")


@contextmanager
def contacts_read() -> Iterator[list[int]]:
    """The ids of every contact row read while the block is open."""
    seen: list[int] = []

    def record(target: Contact, _context: Any) -> None:
        seen.append(target.id)

    event.listen(Contact, "load", record)
    try:
        yield seen
    finally:
        event.remove(Contact, "load", record)


async def _with_contacts(runtime: Runtime, count: int) -> list[int]:
    """Ada with `count` contacts, the most recently met first; their ids in that order."""
    await add_members(runtime, [1])
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, 1)
        assert user is not None
        contacts = [
            Contact(
                user_id=user.id,
                name=f"Person {number}",
                name_key=blind_index(f"Person {number}", user.id),
                checkin_pings=0,
                created_at=now - timedelta(days=30),
                last_interaction_at=now - timedelta(minutes=number),
            )
            for number in range(count)
        ]
        session.add_all(contacts)
        await session.flush()
        return [contact.id for contact in contacts]


async def test_a_page_of_merge_choices_reads_that_page_only(runtime: Runtime) -> None:
    ids = await _with_contacts(runtime, 40)
    who, size = Identity(1, 1, "de"), MERGE_CHOICES_PAGE_SIZE
    merged = ids[3]
    others = [i for i in ids if i != merged]
    with contacts_read() as read:
        choices = await merge_choices(runtime, who, merged, page=2)
    assert choices is not None
    assert [i for i, _ in choices.choices] == others[2 * size : 3 * size]
    assert choices.choices[0][1] == f"Person {ids.index(others[2 * size])}"
    assert choices.page.total == 39
    assert len(read) <= size + 1  # the page, and the contact to merge

    last = await merge_choices(runtime, who, merged, page=choices.page.count - 1)
    assert last is not None and [i for i, _ in last.choices] == others[-(39 % size) :]
