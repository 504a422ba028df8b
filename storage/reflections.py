"""Queries on reflections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.contact_history import (
    NamedContact,
    name_keys,
    named_contact_columns,
    named_contacts_condition,
    read_named_contacts,
)
from storage.models import Contact, Reflection
from storage.plain_reads import plain_read

__all__ = [
    "ReflectionTally",
    "add_reflection",
    "count_newer_reflections",
    "count_reflections",
    "latest_reflection_between",
    "reflection_by_message",
    "reflection_tally",
    "reflections_page",
]


async def add_reflection(
    session: AsyncSession,
    *,
    user_id: int,
    delivery_id: int | None,
    card_key: str,
    question_index: int | None,
    text: str,
    now: datetime,
    telegram_message_id: int | None = None,
    receipt: int | None = None,
) -> Reflection:
    """Keep what the member wrote (which of their messages, and which receipt answered it)."""
    reflection = Reflection(
        user_id=user_id,
        delivery_id=delivery_id,
        card_key=card_key,
        question_index=question_index,
        text=text,
        created_at=now,
        telegram_message_id=telegram_message_id,
        receipt=receipt,
    )
    session.add(reflection)
    await session.flush()
    return reflection


async def count_reflections(session: AsyncSession, user_id: int) -> int:
    """How many reflections the member has written."""
    query = select(func.count()).select_from(Reflection).where(Reflection.user_id == user_id)
    return int((await session.execute(query)).scalar_one())


@dataclass(frozen=True, slots=True)
class ReflectionTally:
    """What answering a new reflection reads: how many the member has written, the
    receipt that answered the latest, and the contacts the new one names."""

    count: int
    latest_receipt: int | None
    named: list[NamedContact]


def _tally(keys: int) -> Select[Any]:
    def of_member() -> ColumnElement[bool]:
        return Reflection.user_id == bindparam("user_id")

    count = select(func.count()).select_from(Reflection).where(of_member()).scalar_subquery()
    latest = (
        select(Reflection.receipt)
        .where(of_member())
        .order_by(Reflection.created_at.desc(), Reflection.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    # One row whether or not any contact is named: the counts, joined to the contacts.
    one_row = select(literal_column("1").label("one")).subquery("one_row")
    return (
        select(count, latest, *named_contact_columns())
        .select_from(one_row.outerjoin(Contact, named_contacts_condition(keys)))
        .order_by(Contact.id)
    )


async def reflection_tally(
    connection: AsyncConnection, user_id: int, names: Sequence[str]
) -> ReflectionTally:
    """Count the member's reflections, find the latest one's receipt and the contacts
    called by any of `names` (runs of words of the new one), in one plain read: the
    member's index on `created_at`, and the blind indexes of every name."""
    keys = name_keys(user_id, names)
    # No name to look for still makes a valid statement: a key no contact has.
    values = keys.values or {"key0": ""}
    read = plain_read(
        connection.dialect, ("reflection_tally", len(values)), lambda: _tally(len(values))
    )
    parameters = read.parameters({"user_id": user_id, **values})
    rows: Sequence[Any] = (await connection.exec_driver_sql(read.sql, parameters)).all()
    count, latest = rows[0][0], rows[0][1]
    named = read_named_contacts(connection.dialect, keys, [row[2:] for row in rows])
    return ReflectionTally(int(count), None if latest is None else int(latest), named)


async def reflections_page(
    session: AsyncSession, user_id: int, *, offset: int, limit: int
) -> Sequence[Reflection]:
    """The member's reflections, newest first."""
    query = (
        select(Reflection)
        .where(Reflection.user_id == user_id)
        .order_by(Reflection.created_at.desc(), Reflection.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()


async def reflection_by_message(
    session: AsyncSession, user_id: int, telegram_message_id: int
) -> Reflection | None:
    """The member's reflection kept from this Telegram message of theirs."""
    query = (
        select(Reflection)
        .where(Reflection.user_id == user_id, Reflection.telegram_message_id == telegram_message_id)
        .order_by(Reflection.id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def count_newer_reflections(session: AsyncSession, reflection: Reflection) -> int:
    """How many of the member's reflections the journal lists before this one."""
    query = (
        select(func.count())
        .select_from(Reflection)
        .where(
            Reflection.user_id == reflection.user_id,
            or_(
                Reflection.created_at > reflection.created_at,
                and_(
                    Reflection.created_at == reflection.created_at,
                    Reflection.id > reflection.id,
                ),
            ),
        )
    )
    return int((await session.execute(query)).scalar_one())


async def latest_reflection_between(
    session: AsyncSession, user_id: int, start: datetime, end: datetime
) -> Reflection | None:
    """The member's latest reflection written in (start, end]."""
    query = (
        select(Reflection)
        .where(
            Reflection.user_id == user_id,
            Reflection.created_at > start,
            Reflection.created_at <= end,
        )
        .order_by(Reflection.created_at.desc(), Reflection.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()
