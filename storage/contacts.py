"""Queries on contacts and their interactions (the reciprocity ledger). Never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import blind_index, blind_index_candidates
from storage.models import Commitment, CommitmentStatus, Contact, Exchange, Interaction

__all__ = [
    "ContactSummary",
    "add_interaction",
    "claim_due_checkins",
    "contact_by_name",
    "contacts_named",
    "contacts_page",
    "count_contacts",
    "exchange_counts",
    "get_or_create_contact",
    "postpone_checkin",
    "recent_contacts",
    "release_held_checkins",
    "user_contacts",
]


@dataclass(frozen=True, slots=True)
class ContactSummary:
    """A contact with its counts, as one row of a contacts page."""

    contact: Contact
    open_commitments: int
    gave: int
    received: int


async def contact_by_name(session: AsyncSession, user_id: int, name: str) -> Contact | None:
    """The member's contact with this name, matched case-insensitively by its blind index.

    Every index the name may be stored under is tried (each key of the ring, no key,
    the earlier form without the member), so a contact written before a key was set
    or under an older key is found, not created again. The oldest wins should an
    earlier version have left two.
    """
    query = (
        select(Contact)
        .where(
            Contact.user_id == user_id,
            Contact.name_key.in_(blind_index_candidates(name, user_id)),
        )
        .order_by(Contact.id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def contacts_named(
    session: AsyncSession, user_id: int, names: Sequence[str]
) -> Sequence[Contact]:
    """The member's contacts named any of `names` (case-insensitively), in one statement."""
    if not names:
        return ()
    keys = {key for name in names for key in blind_index_candidates(name, user_id)}
    query = (
        select(Contact)
        .where(Contact.user_id == user_id, Contact.name_key.in_(keys))
        .order_by(Contact.id)
    )
    return (await session.execute(query)).scalars().all()


async def get_or_create_contact(
    session: AsyncSession, user_id: int, name: str, now: datetime
) -> Contact:
    """The contact with this name, created (as first written) on first mention."""
    found = await contact_by_name(session, user_id, name)
    if found is not None:
        return found
    contact = Contact(
        user_id=user_id,
        name=name.strip(),
        name_key=blind_index(name, user_id),
        checkin_pings=0,
        created_at=now,
    )
    session.add(contact)
    await session.flush()
    return contact


async def user_contacts(session: AsyncSession, user_id: int) -> Sequence[Contact]:
    """All of the member's contacts (sorted by the caller: names are encrypted)."""
    return (
        (await session.execute(select(Contact).where(Contact.user_id == user_id))).scalars().all()
    )


async def count_contacts(session: AsyncSession, user_id: int) -> int:
    """How many contacts the member has."""
    query = select(func.count()).select_from(Contact).where(Contact.user_id == user_id)
    return int((await session.execute(query)).scalar_one())


def _most_recent_first() -> tuple[ColumnElement[Any], ...]:
    # Names are encrypted, so SQL cannot sort by them: the latest in touch (or added, if
    # never met) comes first; the id keeps pages stable.
    return (
        func.coalesce(Contact.last_interaction_at, Contact.created_at).desc(),
        Contact.id.desc(),
    )


async def contacts_page(
    session: AsyncSession, user_id: int, *, offset: int, limit: int
) -> list[ContactSummary]:
    """One page of the member's contacts, most recently in touch first, counts included.

    One statement whatever the page holds: the counts are subqueries on indexed columns.
    """

    def exchanges(kind: Exchange) -> ScalarSelect[int]:
        # "Both" counts as given and as received.
        return (
            select(func.count())
            .where(
                Interaction.contact_id == Contact.id,
                Interaction.exchange.in_((kind, Exchange.BOTH)),
            )
            .scalar_subquery()
        )

    open_commitments = (
        select(func.count())
        .where(Commitment.contact_id == Contact.id, Commitment.status == CommitmentStatus.OPEN)
        .scalar_subquery()
    )
    query = (
        select(Contact, open_commitments, exchanges(Exchange.GAVE), exchanges(Exchange.RECEIVED))
        .where(Contact.user_id == user_id)
        .order_by(*_most_recent_first())
        .offset(offset)
        .limit(limit)
    )
    return [
        ContactSummary(contact, int(open_count), int(gave), int(received))
        for contact, open_count, gave, received in (await session.execute(query)).all()
    ]


async def recent_contacts(
    session: AsyncSession,
    user_id: int,
    limit: int,
    *,
    offset: int = 0,
    except_id: int | None = None,
) -> Sequence[Contact]:
    """The member's `limit` contacts most recently in touch (or added), from `offset`;
    all but `except_id`, if given."""
    query = select(Contact).where(Contact.user_id == user_id)
    if except_id is not None:
        query = query.where(Contact.id != except_id)
    query = query.order_by(*_most_recent_first()).offset(offset).limit(limit)
    return (await session.execute(query)).scalars().all()


async def exchange_counts(session: AsyncSession, contact_id: int) -> dict[Exchange, int]:
    """How often the member recorded giving, receiving or both with this contact."""
    rows = await session.execute(
        select(Interaction.exchange, func.count())
        .where(Interaction.contact_id == contact_id, Interaction.exchange.is_not(None))
        .group_by(Interaction.exchange)
    )
    return {exchange: int(count) for exchange, count in rows.all() if exchange is not None}


async def add_interaction(
    session: AsyncSession,
    contact: Contact,
    now: datetime,
    *,
    commitment_id: int | None = None,
    note: str | None = None,
) -> Interaction:
    """Log an interaction and note it on the contact as the last one."""
    interaction = Interaction(
        user_id=contact.user_id,
        contact_id=contact.id,
        commitment_id=commitment_id,
        note=note,
        created_at=now,
    )
    session.add(interaction)
    # A meeting logged for an earlier day does not hide a later one.
    if contact.last_interaction_at is None or contact.last_interaction_at < now:
        contact.last_interaction_at = now
    await session.flush()
    return interaction


async def claim_due_checkins(session: AsyncSession, now: datetime, limit: int) -> Sequence[Contact]:
    """Contacts whose stay-in-touch moment has come, oldest first, locked for this session."""
    query = (
        select(Contact)
        .where(Contact.next_checkin_at <= now)
        .order_by(Contact.next_checkin_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def postpone_checkin(session: AsyncSession, contact_id: int, until: datetime) -> None:
    """Move a contact's next check-in to `until`."""
    await session.execute(
        update(Contact).where(Contact.id == contact_id).values(next_checkin_at=until)
    )


async def release_held_checkins(
    session: AsyncSession, user_id: int, held_until: datetime, now: datetime
) -> None:
    """Check-ins a pause held until `held_until` are due now."""
    await session.execute(
        update(Contact)
        .where(Contact.user_id == user_id, Contact.next_checkin_at == held_until)
        .values(next_checkin_at=now)
    )
