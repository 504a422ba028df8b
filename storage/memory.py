"""Queries behind what the bot recalls for a member. Never commit.

Each serves a whole batch of deliveries in one statement (a window over the members or
contacts asked for) and returns at most a few rows per member, so a dispatch of hundreds
of prompts costs one query per need, not one per prompt. Texts are read through the ORM,
which decrypts them; only the rows shown are loaded.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Commitment, CommitmentStatus, Contact, Interaction, Reflection
from storage.types import UTCDateTime

__all__ = [
    "contacts_overdue",
    "last_notes_about_contacts",
    "last_reflections_on",
    "open_commitments_of",
]


async def last_reflections_on(
    session: AsyncSession,
    card_keys_by_member: Mapping[int, Collection[str]],
    *,
    except_deliveries: Collection[int] = (),
) -> dict[int, Reflection]:
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
    latest_first = (Reflection.created_at.desc(), Reflection.id.desc())
    place = func.row_number().over(partition_by=Reflection.user_id, order_by=latest_first)
    ranked = select(Reflection.id, place.label("place")).where(wanted)
    if except_deliveries:
        ranked = ranked.where(
            or_(
                Reflection.delivery_id.is_(None),
                Reflection.delivery_id.not_in(sorted(except_deliveries)),
            )
        )
    firsts = ranked.subquery()
    query = select(Reflection).where(
        Reflection.id.in_(select(firsts.c.id).where(firsts.c.place == 1))
    )
    return {row.user_id: row for row in (await session.execute(query)).scalars()}


async def open_commitments_of(
    session: AsyncSession, user_ids: Collection[int], limit: int
) -> dict[int, tuple[list[tuple[Commitment, Contact | None]], int]]:
    """Per member: their first `limit` open commitments, soonest due first, and how many
    they have open in all."""
    if not user_ids:
        return {}
    soonest_first = (Commitment.due_at, Commitment.id)
    ranked = (
        select(
            Commitment.id,
            func.row_number()
            .over(partition_by=Commitment.user_id, order_by=soonest_first)
            .label("place"),
            func.count().over(partition_by=Commitment.user_id).label("total"),
        )
        .where(Commitment.user_id.in_(sorted(user_ids)), Commitment.status == CommitmentStatus.OPEN)
        .subquery()
    )
    query = (
        select(Commitment, Contact, ranked.c.total)
        .join(ranked, ranked.c.id == Commitment.id)
        .outerjoin(Contact, Contact.id == Commitment.contact_id)
        .where(ranked.c.place <= limit)
        .order_by(Commitment.user_id, ranked.c.place)
    )
    found: dict[int, tuple[list[tuple[Commitment, Contact | None]], int]] = {}
    for commitment, contact, total in (await session.execute(query)).all():
        listed, _ = found.get(commitment.user_id, ([], 0))
        listed.append((commitment, contact))
        found[commitment.user_id] = (listed, int(total))
    return found


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
) -> dict[int, tuple[list[Contact], int]]:
    """Per member: the `limit` contacts longest overdue for a check-in (a stay-in-touch
    cadence has passed since the last interaction), and how many are overdue in all."""
    if not user_ids:
        return {}
    due, moment = _checkin_due(session, now)
    ranked = (
        select(
            Contact.id,
            func.row_number()
            .over(partition_by=Contact.user_id, order_by=(due, Contact.id))
            .label("place"),
            func.count().over(partition_by=Contact.user_id).label("total"),
        )
        .where(
            Contact.user_id.in_(sorted(user_ids)),
            Contact.cadence_days.is_not(None),
            due <= moment,
        )
        .subquery()
    )
    query = (
        select(Contact, ranked.c.total)
        .join(ranked, ranked.c.id == Contact.id)
        .where(ranked.c.place <= limit)
        .order_by(Contact.user_id, ranked.c.place)
    )
    found: dict[int, tuple[list[Contact], int]] = {}
    for contact, total in (await session.execute(query)).all():
        listed, _ = found.get(contact.user_id, ([], 0))
        listed.append(contact)
        found[contact.user_id] = (listed, int(total))
    return found


async def last_notes_about_contacts(
    session: AsyncSession, contact_ids: Sequence[int]
) -> dict[int, Interaction]:
    """Per contact: the latest interaction logged with a note."""
    if not contact_ids:
        return {}
    latest_first = (Interaction.created_at.desc(), Interaction.id.desc())
    ranked = (
        select(
            Interaction.id,
            func.row_number()
            .over(partition_by=Interaction.contact_id, order_by=latest_first)
            .label("place"),
        )
        .where(Interaction.contact_id.in_(sorted(contact_ids)), Interaction.note.is_not(None))
        .subquery()
    )
    query = select(Interaction).where(
        Interaction.id.in_(select(ranked.c.id).where(ranked.c.place == 1))
    )
    return {row.contact_id: row for row in (await session.execute(query)).scalars()}
