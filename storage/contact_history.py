"""Queries behind a contact's page: its commitments and interactions, renaming, merging.

Never commit. Every function takes a contact already checked to be the member's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.crypto import blind_index, blind_index_candidates_of
from storage.encrypted import open_row
from storage.models import Base, Commitment, CommitmentStatus, Contact, Interaction
from storage.owned import member_row
from storage.plain_reads import plain_read
from storage.types import UTCDateTime
from storage.unreadable import is_unreadable

__all__ = [
    "NameKeys",
    "NamedContact",
    "commitments_of",
    "contacts_named_in",
    "count_commitments_of",
    "count_interactions_of",
    "interactions_of",
    "member_contact",
    "move_history",
    "name_keys",
    "named_contact_columns",
    "named_contacts_condition",
    "read_named_contacts",
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


@dataclass(frozen=True, slots=True)
class NameKeys:
    """The blind indexes of names looked for (runs of words from a text), each with the
    first of the names it comes from."""

    user_id: int
    names: Sequence[str]
    run_of: dict[str, int]

    @property
    def values(self) -> dict[str, Any]:
        """The keys as a statement's parameters (`key0`, `key1`, …; see `named_contacts_join`)."""
        return {f"key{n}": key for n, key in enumerate(self.run_of)}


def name_keys(user_id: int, names: Sequence[str]) -> NameKeys:
    """Every blind index each of `names` may be stored under, the first name's winning."""
    run_of: dict[str, int] = {}
    candidates = blind_index_candidates_of(names, user_id)
    for index in range(len(names) - 1, -1, -1):
        for key in candidates[index]:
            run_of[key] = index
    return NameKeys(user_id, names, run_of)


def named_contact_columns() -> tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]:
    """What a read of named contacts selects, in the order `read_named_contacts` takes."""
    open_commitments = (
        select(func.count())
        .where(
            Commitment.contact_id == Contact.id,
            # Written into the statement: its only parameters are the member and keys.
            Commitment.status == literal_column(f"'{CommitmentStatus.OPEN.value}'"),
        )
        .scalar_subquery()
    )
    return (
        Contact.id,
        Contact.name_key,
        Contact.name,
        Contact.last_interaction_at,
        open_commitments.label("open_commitments"),
    )


def named_contacts_condition(keys: int) -> ColumnElement[bool]:
    """The member's (`user_id`) contacts whose name is stored under one of `keys` keys."""
    return (Contact.user_id == bindparam("user_id")) & Contact.name_key.in_(
        [bindparam(f"key{n}") for n in range(keys)]
    )


def _datetime_reader(dialect: Dialect) -> Callable[[Any], datetime | None]:
    """What turns a raw datetime value of this database into an aware UTC one."""
    reader = _DATETIME_READERS.get(dialect.name)
    if reader is None:
        processor = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
        reader = _DATETIME_READERS[dialect.name] = processor or (lambda value: value)
    return reader


def read_named_contacts(
    dialect: Dialect, keys: NameKeys, rows: Sequence[Sequence[Any]]
) -> list[NamedContact]:
    """Rows of `named_contact_columns` as named contacts (rows without a contact are
    skipped); a name that cannot be read is shown as the text writes it."""
    read_datetime = _datetime_reader(dialect)
    named = []
    for contact_id, key, stored, last_at, open_count in rows:
        if contact_id is None:
            continue
        name = open_row(_CONTACTS, {"id": contact_id, "user_id": keys.user_id, "name": stored})
        readable = name["name"] and not is_unreadable(name["name"])
        run = keys.run_of[str(key)]
        named.append(
            NamedContact(
                int(contact_id),
                str(name["name"]) if readable else keys.names[run],
                run,
                read_datetime(last_at),
                int(open_count or 0),
            )
        )
    return named


async def contacts_named_in(
    connection: AsyncConnection, user_id: int, names: Sequence[str], limit: int
) -> list[NamedContact]:
    """The member's contacts called by any of `names` (runs of words from a text), with
    their last interaction and open commitments: one plain read over the blind indexes
    of them all. `run` is the first of `names` that found the contact."""
    keys = name_keys(user_id, names)
    if not keys.run_of:
        return []
    count = len(keys.run_of)

    def build() -> Select[Any]:
        columns = named_contact_columns()
        return select(*columns).where(named_contacts_condition(count)).order_by(Contact.id)

    read = plain_read(connection.dialect, ("contacts_named_in", count), build)
    parameters = read.parameters({"user_id": user_id, **keys.values})
    rows: Sequence[Any] = (await connection.exec_driver_sql(read.sql, parameters)).all()
    return read_named_contacts(connection.dialect, keys, rows[:limit])
