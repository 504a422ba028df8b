"""Queries behind what the bot recalls for a member. Never commit.

Each serves a whole batch of deliveries in one statement (a window over the members or
contacts asked for) and returns at most a few rows per member, so a dispatch of hundreds
of prompts costs one query per need, not one per prompt. They read plain columns, not
ORM objects (the dispatcher's CPU goes into every prompt), and open (decrypt) only the
texts they return; one that cannot be read comes back as an `UnreadableText`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Subquery, and_, func, literal, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.encrypted import open_value, sealed_table
from storage.models import Base, Commitment, CommitmentStatus, Contact, Interaction, Reflection
from storage.types import UTCDateTime

__all__ = [
    "Note",
    "OpenCommitment",
    "OverdueContact",
    "contacts_overdue",
    "last_notes_about_contacts",
    "last_reflections_on",
    "open_commitments_of",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Note:
    """A text the member wrote (a reflection, an interaction's note) and when."""

    text: str
    written_at: datetime


@dataclass(frozen=True, slots=True)
class OpenCommitment:
    """An open commitment: what, for whom (None: nobody in particular), by when."""

    action: str
    contact: str | None
    due_at: datetime


@dataclass(frozen=True, slots=True)
class OverdueContact:
    """A contact overdue for a check-in, and when the member was last in touch."""

    name: str
    last_interaction_at: datetime | None


def _opened(
    session: AsyncSession, model: type[Base], column: str, owner: int, row: int, stored: str
) -> str:
    """The plain text of one stored (perhaps encrypted) value of `model`'s row."""
    spec = sealed_table(model.__table__)  # type: ignore[arg-type]
    assert spec is not None
    text: str = open_value(spec, column, owner, row, stored, session=session.sync_session)
    return text


def _ranked(
    row_id: InstrumentedAttribute[int],
    partition: InstrumentedAttribute[int],
    order: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]],
    *where: ColumnElement[bool],
) -> Subquery:
    """The rows `where` holds: their id, place within their partition, and partition size."""
    return (
        select(
            row_id.label("id"),
            func.row_number().over(partition_by=partition, order_by=order).label("place"),
            func.count().over(partition_by=partition).label("total"),
        )
        .where(*where)
        .subquery()
    )


def _per_member(rows: Iterable[tuple[int, T, int]]) -> dict[int, tuple[list[T], int]]:
    """(member id, item, member's total) rows as member -> (items in order, total)."""
    found: dict[int, tuple[list[T], int]] = {}
    for user_id, item, total in rows:
        found.setdefault(user_id, ([], int(total)))[0].append(item)
    return found


async def last_reflections_on(
    session: AsyncSession,
    card_keys_by_member: Mapping[int, Collection[str]],
    *,
    except_deliveries: Collection[int] = (),
) -> dict[int, Note]:
    """Per member: their latest reflection on any of the cards given for them.

    Reflections written on one of `except_deliveries` (the prompts being shown) are left
    out: a card recalls what was written before it, not the answer to itself.
    """
    members_by_cards: dict[frozenset[str], list[int]] = {}
    for user_id, keys in card_keys_by_member.items():
        if keys:
            members_by_cards.setdefault(frozenset(keys), []).append(user_id)
    if not members_by_cards:
        return {}
    wanted = or_(
        *(
            and_(Reflection.user_id.in_(members), Reflection.card_key.in_(sorted(keys)))
            for keys, members in members_by_cards.items()
        )
    )
    if except_deliveries:
        skipped = Reflection.delivery_id.not_in(sorted(except_deliveries))
        wanted = and_(wanted, or_(Reflection.delivery_id.is_(None), skipped))
    latest_first = (Reflection.created_at.desc(), Reflection.id.desc())
    ranked = _ranked(Reflection.id, Reflection.user_id, latest_first, wanted)
    query = (
        select(Reflection.id, Reflection.user_id, Reflection.text, Reflection.created_at)
        .join(ranked, ranked.c.id == Reflection.id)
        .where(ranked.c.place == 1)
    )
    return {
        user_id: Note(_opened(session, Reflection, "text", user_id, row_id, text), written_at)
        for row_id, user_id, text, written_at in (await session.execute(query)).all()
    }


async def open_commitments_of(
    session: AsyncSession, user_ids: Collection[int], limit: int
) -> dict[int, tuple[list[OpenCommitment], int]]:
    """Per member: their first `limit` open commitments, soonest due first, and how many
    they have open in all."""
    if not user_ids:
        return {}
    ranked = _ranked(
        Commitment.id,
        Commitment.user_id,
        (Commitment.due_at, Commitment.id),
        Commitment.user_id.in_(sorted(user_ids)),
        Commitment.status == CommitmentStatus.OPEN,
    )
    query = (
        select(
            Commitment.id,
            Commitment.user_id,
            Commitment.action,
            Commitment.due_at,
            Contact.id,
            Contact.name,
            ranked.c.total,
        )
        .join(ranked, ranked.c.id == Commitment.id)
        .outerjoin(Contact, Contact.id == Commitment.contact_id)
        .where(ranked.c.place <= limit)
        .order_by(Commitment.user_id, ranked.c.place)
    )

    def item(
        row_id: int, user_id: int, action: str, due: datetime, contact_id: int | None, name: str
    ) -> OpenCommitment:
        contact = None
        if contact_id is not None:
            contact = _opened(session, Contact, "name", user_id, contact_id, name)
        return OpenCommitment(
            _opened(session, Commitment, "action", user_id, row_id, action), contact, due
        )

    rows = (await session.execute(query)).all()
    return _per_member((row[1], item(*row[:6]), row[6]) for row in rows)


def _checkin_due(session: AsyncSession, now: datetime) -> tuple[ColumnElement[Any], ...]:
    """(when a contact's check-in fell due, now) as the database compares them.

    Due means a full cadence since the last interaction (or since the contact was added,
    if never met). SQLite counts in Julian days, PostgreSQL adds an interval.
    """
    last = func.coalesce(Contact.last_interaction_at, Contact.created_at)
    moment = literal(now, UTCDateTime())
    if session.get_bind().dialect.name == "postgresql":
        return last + Contact.cadence_days * literal_column("interval '1 day'"), moment
    return func.julianday(last) + Contact.cadence_days, func.julianday(moment)


async def contacts_overdue(
    session: AsyncSession, user_ids: Collection[int], now: datetime, limit: int
) -> dict[int, tuple[list[OverdueContact], int]]:
    """Per member: the `limit` contacts longest overdue for a check-in (a stay-in-touch
    cadence has passed since the last interaction), and how many are overdue in all."""
    if not user_ids:
        return {}
    due, moment = _checkin_due(session, now)
    ranked = _ranked(
        Contact.id,
        Contact.user_id,
        (due, Contact.id),
        Contact.user_id.in_(sorted(user_ids)),
        Contact.cadence_days.is_not(None),
        due <= moment,
    )
    query = (
        select(
            Contact.id, Contact.user_id, Contact.name, Contact.last_interaction_at, ranked.c.total
        )
        .join(ranked, ranked.c.id == Contact.id)
        .where(ranked.c.place <= limit)
        .order_by(Contact.user_id, ranked.c.place)
    )
    rows = (await session.execute(query)).all()
    return _per_member(
        (
            user_id,
            OverdueContact(_opened(session, Contact, "name", user_id, row_id, name), last),
            total,
        )
        for row_id, user_id, name, last, total in rows
    )


async def last_notes_about_contacts(
    session: AsyncSession, contact_ids: Sequence[int]
) -> dict[int, Note]:
    """Per contact: the note of the latest interaction logged with one."""
    if not contact_ids:
        return {}
    ranked = _ranked(
        Interaction.id,
        Interaction.contact_id,
        (Interaction.created_at.desc(), Interaction.id.desc()),
        Interaction.contact_id.in_(sorted(contact_ids)),
        Interaction.note.is_not(None),
    )
    query = (
        select(
            Interaction.id,
            Interaction.user_id,
            Interaction.contact_id,
            Interaction.note,
            Interaction.created_at,
        )
        .join(ranked, ranked.c.id == Interaction.id)
        .where(ranked.c.place == 1)
    )
    return {
        contact_id: Note(_opened(session, Interaction, "note", user_id, row_id, note or ""), at)
        for row_id, user_id, contact_id, note, at in (await session.execute(query)).all()
    }
