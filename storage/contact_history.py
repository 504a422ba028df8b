"""Queries behind a contact's page: its commitments and interactions, renaming, merging.

Never commit. Every function takes a contact already checked to be the member's.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import blind_index, blind_index_candidates
from storage.models import Commitment, CommitmentStatus, Contact, Interaction

__all__ = [
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
    contact = await session.get(Contact, contact_id)
    return contact if contact is not None and contact.user_id == user_id else None


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


async def contacts_named_in(
    session: AsyncSession, user_id: int, names: Sequence[str], limit: int
) -> Sequence[Contact]:
    """The member's contacts called by any of `names` (runs of words from a text): one
    statement over the blind indexes of them all."""
    if not names:
        return []
    keys = {key for name in names for key in blind_index_candidates(name, user_id)}
    query = (
        select(Contact)
        .where(Contact.user_id == user_id, Contact.name_key.in_(keys))
        .order_by(Contact.id)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()
