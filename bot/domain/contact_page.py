"""A contact's page: what happened with them, and what a member can do with the contact.

`/contact Anna` (no cadence) shows Anna: open commitments, interactions with their
notes, past commitments, the give-and-take balance and the cadence, paged. From there a
member logs a meeting, makes a commitment, sets the cadence, renames, merges into
another contact or deletes (after a confirm). Every action names a contact id and is
only acted on when the contact is the presser's; names are sealed like every other
contact name, and found again by their blind index.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.contacts import (
    MAX_CADENCE_DAYS,
    CadenceResult,
    MetResult,
    apply_cadence,
    just_logged,
    parse_cadence,
    set_cadence,
)
from bot.domain.contacts import log_interaction as log_contact_interaction
from bot.domain.limits import Limit, LimitReached, over_text_limit
from bot.domain.members import Identity, Member, member_from_row
from bot.domain.paging import Page, page_of
from bot.domain.runtime import Runtime
from storage.contact_history import (
    commitments_of,
    count_commitments_of,
    count_interactions_of,
    interactions_of,
    member_contact,
    move_history,
    rename_contact,
)
from storage.contacts import contact_by_name, count_contacts, exchange_counts, recent_contacts
from storage.conversations import clear_state, get_state, set_state
from storage.models import CommitmentStatus, Contact, Exchange, User
from storage.owned import owned_row
from storage.unreadable import is_unreadable
from storage.users import get_user_by_telegram_id

__all__ = [
    "CONTACT_FLOW",
    "CONTACT_PAGE_SIZE",
    "RENAME_WINDOW",
    "ContactAsked",
    "ContactChange",
    "ContactChanged",
    "ContactPage",
    "ContactQuestion",
    "HistoryItem",
    "ItemKind",
    "MergeChoices",
    "UnknownContact",
    "answer_text",
    "ask_about_contact",
    "contact_line",
    "delete_contact",
    "log_meeting",
    "merge_choices",
    "merge_contacts",
    "set_contact_cadence",
    "show_contact",
    "show_contact_named",
]

CONTACT_FLOW = "contact"
CONTACT_PAGE_SIZE = 8
MERGE_CHOICES_PAGE_SIZE = 6
_RENAME = "rename"
# How long "what should Anna be called?" takes the next text as the name.
RENAME_WINDOW = timedelta(minutes=5)


class ItemKind(enum.StrEnum):
    """What a line of a contact's history is."""

    OPEN = "open"
    INTERACTION = "interaction"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One line: an open or past commitment (`text` its action) or an interaction (its note)."""

    kind: ItemKind
    at: datetime
    text: str | None
    status: CommitmentStatus | None = None
    exchange: Exchange | None = None


@dataclass(frozen=True, slots=True)
class ContactPage:
    """A page of one contact's history, with its balance and cadence."""

    member: Member
    now: datetime  # when shown: a date in another year shows it
    contact_id: int
    name: str
    cadence_days: int | None
    next_checkin_at: datetime | None
    last_interaction_at: datetime | None
    gave: int
    received: int
    both: int
    items: tuple[HistoryItem, ...]
    page: Page


@dataclass(frozen=True, slots=True)
class UnknownContact:
    """`/contact Name` for a name the member has no contact by (or one too long for a name)."""

    member: Member
    name: str
    limit: LimitReached | None = None
    # "Anna ab und zu": a known contact, then words that are no cadence.
    starts_with_contact: bool = False


class ContactQuestion(enum.StrEnum):
    """What the member is asked about a contact before anything changes."""

    CADENCE = "cadence"
    RENAME = "rename"
    DELETE = "delete"
    MERGE = "merge"


@dataclass(frozen=True, slots=True)
class ContactAsked:
    """A question about a contact (and the contact it would be merged into)."""

    member: Member
    question: ContactQuestion
    contact_id: int
    name: str
    cadence_days: int | None = None
    other_id: int | None = None
    other_name: str | None = None


@dataclass(frozen=True, slots=True)
class MergeChoices:
    """The other contacts one could be merged into, a page of them."""

    member: Member
    contact_id: int
    name: str
    choices: tuple[tuple[int, str], ...]
    page: Page


class ContactChange(enum.StrEnum):
    """What happened to a contact (or why not)."""

    RENAMED = "renamed"
    MERGED = "merged"
    DELETED = "deleted"
    NAME_TAKEN = "name_taken"
    NAME_EMPTY = "name_empty"


@dataclass(frozen=True, slots=True)
class ContactChanged:
    """The outcome of renaming, merging or deleting; `limit` when the new name is too long."""

    member: Member
    change: ContactChange
    name: str
    other_name: str | None = None
    contact_id: int | None = None
    other_id: int | None = None
    limit: LimitReached | None = None


def _slices(counts: Sequence[int], offset: int, size: int) -> list[tuple[int, int]]:
    """Where a page of `size` from `offset` falls in lists of these lengths, shown one after
    another: (offset, limit) in each list."""
    slices, before = [], 0
    for count in counts:
        low = min(max(offset - before, 0), count)
        high = min(max(offset + size - before, 0), count)
        slices.append((low, high - low))
        before += count
    return slices


async def _page(
    session: AsyncSession, user: User, contact: Contact, page_number: int, now: datetime
) -> ContactPage:
    """Open commitments (soonest first), interactions (newest first), past commitments."""
    counts = (
        await count_commitments_of(session, contact, open_ones=True),
        await count_interactions_of(session, contact),
        await count_commitments_of(session, contact, open_ones=False),
    )
    shown = page_of(page_number, sum(counts), CONTACT_PAGE_SIZE)
    (open_at, open_n), (met_at, met_n), (past_at, past_n) = _slices(
        counts, shown.offset, shown.size
    )
    items: list[HistoryItem] = []
    if open_n:
        rows = await commitments_of(session, contact, open_ones=True, offset=open_at, limit=open_n)
        items += [HistoryItem(ItemKind.OPEN, c.due_at, c.action, c.status) for c in rows]
    if met_n:
        met = await interactions_of(session, contact, offset=met_at, limit=met_n)
        items += [
            HistoryItem(ItemKind.INTERACTION, i.created_at, i.note, exchange=i.exchange)
            for i in met
        ]
    if past_n:
        rows = await commitments_of(session, contact, open_ones=False, offset=past_at, limit=past_n)
        items += [
            HistoryItem(ItemKind.CLOSED, c.closed_at or c.due_at, c.action, c.status) for c in rows
        ]
    exchanges = await exchange_counts(session, contact.id)
    return ContactPage(
        member=member_from_row(user),
        now=now,
        contact_id=contact.id,
        name=contact.name,
        cadence_days=contact.cadence_days,
        next_checkin_at=contact.next_checkin_at,
        last_interaction_at=contact.last_interaction_at,
        gave=exchanges.get(Exchange.GAVE, 0),
        received=exchanges.get(Exchange.RECEIVED, 0),
        both=exchanges.get(Exchange.BOTH, 0),
        items=tuple(items),
        page=shown,
    )


async def contact_line(
    runtime: Runtime, who: Identity, text: str
) -> CadenceResult | ContactPage | UnknownContact | None:
    """`/contact Anna every 4 weeks` sets the cadence; `/contact Anna` shows Anna's page."""
    text = " ".join(text.split())
    if not text or parse_cadence(text[:200]) is not None:
        return await set_cadence(runtime, who, text)
    shown = await show_contact_named(runtime, who, text)
    if isinstance(shown, UnknownContact) and shown.starts_with_contact:
        return await set_cadence(runtime, who, text)  # how to write a cadence
    return shown


async def show_contact_named(
    runtime: Runtime, who: Identity, name: str
) -> ContactPage | UnknownContact | None:
    """`/contact Anna`: Anna's page, or that there is no Anna (yet)."""
    async with runtime.sessions() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        refused = over_text_limit(Limit.CONTACT_NAME, name)
        if refused is not None:
            return UnknownContact(member_from_row(user), "", refused)
        contact = await contact_by_name(session, user.id, name)
        if contact is not None:
            return await _page(session, user, contact, 0, runtime.clock.now())
        words = name.split()
        for size in range(min(len(words) - 1, 3), 0, -1):
            if await contact_by_name(session, user.id, " ".join(words[:size])) is not None:
                return UnknownContact(member_from_row(user), name, starts_with_contact=True)
        return UnknownContact(member_from_row(user), name)


async def show_contact(
    runtime: Runtime, who: Identity, contact_id: int, page: int = 0
) -> ContactPage | None:
    """A page of the member's contact; None when it is not theirs (or gone).

    Going back to the page leaves an unanswered "new name?" question: a later text is
    then never taken as a name.
    """
    async with runtime.sessions.begin() as session:
        owned = await owned_row(session, who.telegram_id, Contact, contact_id)
        if owned is None:
            return None
        state = await get_state(session, owned[0].id)
        if state is not None and state.flow == CONTACT_FLOW:
            await clear_state(session, owned[0].id)
        return await _page(session, *owned, page, runtime.clock.now())


async def log_meeting(runtime: Runtime, who: Identity, contact_id: int) -> MetResult | None:
    """ "We met": an interaction now, as `/met Anna` logs it; None when the contact is not
    the member's, or a meeting was just logged (a second press)."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await owned_row(session, who.telegram_id, Contact, contact_id)
        if owned is None:
            return None
        user, contact = owned
        if await just_logged(session, contact, now, None):
            return None
        interaction = await log_contact_interaction(session, contact, now)
        return MetResult(
            member_from_row(user), now, contact.name, interaction.id, contact.next_checkin_at
        )


async def set_contact_cadence(
    runtime: Runtime, who: Identity, contact_id: int, days: int
) -> CadenceResult | None:
    """A cadence button: every `days` days (0: no more check-ins)."""
    if days > MAX_CADENCE_DAYS:
        return None
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await owned_row(session, who.telegram_id, Contact, contact_id)
        if owned is None:
            return None
        user, contact = owned
        apply_cadence(contact, days or None, now)
        return CadenceResult(
            member_from_row(user), now, contact.name, contact.cadence_days, contact.next_checkin_at
        )


async def ask_about_contact(
    runtime: Runtime,
    who: Identity,
    contact_id: int,
    question: ContactQuestion,
    other_id: int | None = None,
) -> ContactAsked | None:
    """Ask before changing a contact; renaming waits for the new name as the next text."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await owned_row(session, who.telegram_id, Contact, contact_id)
        if owned is None:
            return None
        user, contact = owned
        other = None
        if question is ContactQuestion.MERGE:
            other = await member_contact(session, user.id, other_id) if other_id else None
            if other is None or other.id == contact.id:
                return None
        if question is ContactQuestion.RENAME:
            await set_state(
                session,
                user.id,
                flow=CONTACT_FLOW,
                step=_RENAME,
                data={"contact_id": contact.id},
                now=now,
            )
        return ContactAsked(
            member_from_row(user),
            question,
            contact.id,
            contact.name,
            cadence_days=contact.cadence_days,
            other_id=other.id if other else None,
            other_name=other.name if other else None,
        )


async def answer_text(runtime: Runtime, who: Identity, text: str) -> ContactChanged | None:
    """The new name, when the member was asked for one; None when nothing asked for it.

    The question is asked once: a name too long closes it (the answer offers ✏️ again),
    and after `RENAME_WINDOW` a text is no longer taken as a name.
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        state = await get_state(session, user.id)
        if state is None or state.flow != CONTACT_FLOW or state.step != _RENAME:
            return None
        contact = await member_contact(session, user.id, int(state.data.get("contact_id", 0)))
        if contact is None or now - state.updated_at > RENAME_WINDOW:
            await clear_state(session, user.id)
            return None
        member, name, old = member_from_row(user), " ".join(text.split()), contact.name
        refused = over_text_limit(Limit.CONTACT_NAME, name)
        if refused is not None:
            await clear_state(session, user.id)
            return ContactChanged(
                member, ContactChange.RENAMED, old, contact_id=contact.id, limit=refused
            )
        if not name:
            return ContactChanged(member, ContactChange.NAME_EMPTY, old)
        same = await contact_by_name(session, user.id, name)
        if same is not None and same.id != contact.id:
            await clear_state(session, user.id)
            return ContactChanged(
                member, ContactChange.NAME_TAKEN, old, same.name, contact.id, same.id
            )
        rename_contact(contact, name)
        await clear_state(session, user.id)
        return ContactChanged(member, ContactChange.RENAMED, old, contact.name, contact.id)


async def merge_choices(
    runtime: Runtime, who: Identity, contact_id: int, page: int = 0
) -> MergeChoices | None:
    """The member's other contacts (most recently in touch first), a page at a time: only
    the page is read (and its names decrypted); one whose name cannot be read is left out."""
    async with runtime.sessions() as session:
        owned = await owned_row(session, who.telegram_id, Contact, contact_id)
        if owned is None:
            return None
        user, contact = owned
        total = await count_contacts(session, user.id) - 1  # all but this one
        shown = page_of(page, total, MERGE_CHOICES_PAGE_SIZE)
        rows = await recent_contacts(
            session, user.id, shown.size, offset=shown.offset, except_id=contact.id
        )
        choices = tuple((c.id, c.name) for c in rows if not is_unreadable(c.name))
        return MergeChoices(member_from_row(user), contact.id, contact.name, choices, shown)


async def merge_contacts(
    runtime: Runtime, who: Identity, contact_id: int, into_id: int
) -> ContactChanged | None:
    """Everything about one contact moves to the other, which keeps its name; the first goes.

    The later interaction counts as the last; the target keeps its cadence, or takes the
    merged one's when it had none.
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = await owned_row(session, who.telegram_id, Contact, contact_id)
        if owned is None:
            return None
        user, contact = owned
        target = await member_contact(session, user.id, into_id)
        if target is None or target.id == contact.id:
            return None
        await move_history(session, contact, target)
        moments = [m for m in (contact.last_interaction_at, target.last_interaction_at) if m]
        target.last_interaction_at = max(moments) if moments else None
        if target.cadence_days is None and contact.cadence_days is not None:
            apply_cadence(target, contact.cadence_days, now)
        name = contact.name
        await session.delete(contact)
        return ContactChanged(
            member_from_row(user), ContactChange.MERGED, name, target.name, target.id
        )


async def delete_contact(runtime: Runtime, who: Identity, contact_id: int) -> ContactChanged | None:
    """Delete the contact with its interactions; its commitments stay, without a name."""
    async with runtime.sessions.begin() as session:
        owned = await owned_row(session, who.telegram_id, Contact, contact_id)
        if owned is None:
            return None
        user, contact = owned
        name = contact.name
        await session.delete(contact)
        return ContactChanged(member_from_row(user), ContactChange.DELETED, name)
