"""Queries behind a contact's page: its commitments and interactions, renaming, merging.

Never commit. Every function takes a contact already checked to be the member's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, literal_column, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.crypto import blind_index, blind_index_candidates
from storage.encrypted import open_row
from storage.models import Base, Commitment, CommitmentStatus, Contact, Interaction
from storage.owned import member_row
from storage.types import UTCDateTime
from storage.unreadable import is_unreadable

__all__ = [
    "NamedContact",
    "commitments_of",
    "contacts_named_in",
    "count_commitments_of",
    "count_interactions_of",
    "interactions_of",
    "member_contact",
    "move_history",
    "rename_contact",
]


async def member_contact(session: AsyncSession, user_id: int, contact_id: int) -> Contact | None:
    """The contact with this id, only if it is the member's."""
    return await member_row(session, user_id, Contact, contact_id)


def _commitments_where(contact: Contact, *, open_ones: bool) -> ColumnElement[bool]:
    status = Commitment.status == CommitmentStatus.OPEN
    return (Commitment.contact_id == contact.id) & (status if open_ones else ~status)


async def count_commitments_of(session: AsyncSession, contact: Contact, *, open_ones: bool) -> int:
    """How many open (or closed) commitments the member made for this contact."""
    query = select(func.count()).where(_commitments_where(contact, open_ones=open_ones))
    return int((await session.execute(query)).scalar_one())


async def commitments_of(
    session: AsyncSession, contact: Contact, *, open_ones: bool, offset: int, limit: int
) -> Sequence[Commitment]:
    """Open ones soonest due first, or closed ones most recently closed first."""
    order = (
        (Commitment.due_at, Commitment.id)
        if open_ones
        else (func.coalesce(Commitment.closed_at, Commitment.due_at).desc(), Commitment.id.desc())
    )
    query = (
        select(Commitment)
        .where(_commitments_where(contact, open_ones=open_ones))
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def count_interactions_of(session: AsyncSession, contact: Contact) -> int:
    """How many interactions are logged with this contact."""
    query = select(func.count()).where(Interaction.contact_id == contact.id)
    return int((await session.execute(query)).scalar_one())


async def interactions_of(
    session: AsyncSession, contact: Contact, *, offset: int, limit: int
) -> Sequence[Interaction]:
    """Interactions with this contact, newest first."""
    query = (
        select(Interaction)
        .where(Interaction.contact_id == contact.id)
        .order_by(Interaction.created_at.desc(), Interaction.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


def rename_contact(contact: Contact, name: str) -> None:
    """Give the contact a new name, found again by the new name's blind index."""
    contact.name = name.strip()
    contact.name_key = blind_index(name, contact.user_id)


async def move_history(session: AsyncSession, source: Contact, target: Contact) -> None:
    """Move every interaction and commitment of `source` to `target` (the same member's).

    The sealed texts are bound to their own rows, not to the contact: they move as they are.
    """
    await session.execute(
        update(Interaction).where(Interaction.contact_id == source.id).values(contact_id=target.id)
    )
    await session.execute(
        update(Commitment).where(Commitment.contact_id == source.id).values(contact_id=target.id)
    )


# `contacts_named_in`'s statement per database kind and number of keys, compiled once and
# sent as it is (as `storage.users.get_member_brief` does: half the cost).
_NAMED_IN_SQL: dict[tuple[str, int], str] = {}
_CONTACTS: Table = Base.metadata.tables["contacts"]
_DATETIME_READERS: dict[str, Callable[[Any], datetime | None]] = {}


@dataclass(frozen=True, slots=True)
class NamedContact:
    """A contact a text names: which of the names looked for found it (`run`, an index
    into them), and what an answer may say about it."""

    id: int
    name: str
    run: int
    last_interaction_at: datetime | None
    open_commitments: int


def _named_in_sql(dialect: Dialect, keys: int) -> str:
    cached = _NAMED_IN_SQL.get((dialect.name, keys))
    if cached is None:
        open_commitments = (
            select(func.count())
            .where(
                Commitment.contact_id == Contact.id,
                # Written into the statement: its only parameters are the member and keys.
                Commitment.status == literal_column(f"'{CommitmentStatus.OPEN.value}'"),
            )
            .scalar_subquery()
        )
        query = (
            select(
                Contact.id,
                Contact.name_key,
                Contact.name,
                Contact.last_interaction_at,
                open_commitments,
            )
            .where(
                Contact.user_id == bindparam("user_id"),
                Contact.name_key.in_([bindparam(f"key{n}") for n in range(keys)]),
            )
            .order_by(Contact.id)
        )
        cached = _NAMED_IN_SQL[(dialect.name, keys)] = str(query.compile(dialect=dialect))
    return cached


def _datetime_reader(dialect: Dialect) -> Callable[[Any], datetime | None]:
    """What turns a raw datetime value of this database into an aware UTC one."""
    reader = _DATETIME_READERS.get(dialect.name)
    if reader is None:
        processor = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
        reader = _DATETIME_READERS[dialect.name] = processor or (lambda value: value)
    return reader


async def contacts_named_in(
    connection: AsyncConnection, user_id: int, names: Sequence[str], limit: int
) -> list[NamedContact]:
    """The member's contacts called by any of `names` (runs of words from a text), with
    their last interaction and open commitments: one plain read over the blind indexes
    of them all. A name that cannot be read is shown as the text writes it; `run` is the
    first of `names` that found the contact."""
    run_of: dict[str, int] = {}
    for index in range(len(names) - 1, -1, -1):
        for key in blind_index_candidates(names[index], user_id):
            run_of[key] = index
    if not run_of:
        return []
    sql = _named_in_sql(connection.dialect, len(run_of))
    rows: Sequence[Any] = (await connection.exec_driver_sql(sql, (user_id, *run_of))).all()
    read_datetime = _datetime_reader(connection.dialect)
    named = []
    for contact_id, key, stored, last_at, open_count in rows[:limit]:
        name = open_row(_CONTACTS, {"id": contact_id, "user_id": user_id, "name": stored})
        readable = name["name"] and not is_unreadable(name["name"])
        run = run_of[str(key)]
        named.append(
            NamedContact(
                int(contact_id),
                str(name["name"]) if readable else names[run],
                run,
                read_datetime(last_at),
                int(open_count),
            )
        )
    return named
