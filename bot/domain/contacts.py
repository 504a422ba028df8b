"""Contacts: the stay-in-touch cadence, logged interactions and the give-and-take balance.

Names are stored encrypted; a contact is found again by the blind index of its name, so
"anna" and "Anna" are one contact. Any logged interaction (a kept commitment, `/met`,
"we were in touch" on a check-in) restarts the cadence. A member keeps at most
`NETCOACH_MAX_CONTACTS` contacts; names and notes have their length limits
(`bot.domain.limits`), measured before anything is read or saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.contact_names import (
    Word,
    WordRun,
    name_candidates,
    name_runs,
    sentence_words,
)
from bot.domain.limits import TEXT_LIMITS, Limit, LimitReached, count_limit, over_text_limit
from bot.domain.members import Identity, Member, member_from_row
from bot.domain.paging import Page, page_of
from bot.domain.runtime import Runtime
from bot.settings import Settings
from storage.contact_history import (
    NamedContact,
    contacts_named_in,
    interactions_of,
    member_contact,
)
from storage.contacts import (
    add_interaction,
    contact_by_name,
    contacts_named,
    contacts_page,
    count_contacts,
    exchange_counts,
    get_or_create_contact,
)
from storage.conversations import clear_state, get_state, set_state
from storage.models import Contact, Exchange, Interaction, User
from storage.unreadable import is_unreadable
from storage.users import get_user_by_telegram_id

__all__ = [
    "CADENCE_FLOW",
    "CONTACTS_PAGE_SIZE",
    "DOUBLE_TAP",
    "LOPSIDED_AFTER",
    "MET_FLOW",
    "NOTE_INTERVAL",
    "BalanceNote",
    "CadenceResult",
    "ContactLine",
    "ContactList",
    "MetResult",
    "apply_cadence",
    "ask_new_contact",
    "balance_note",
    "confirm_cadence",
    "confirm_met",
    "contacts_named_in_text",
    "in_text_order",
    "just_logged",
    "known_contact_in",
    "known_contact_in_text",
    "list_contacts",
    "log_interaction",
    "met",
    "new_contact_refused",
    "parse_cadence",
    "set_cadence",
]

MET_FLOW = "met"  # a `/met` line whose new name waits for the member's yes
CADENCE_FLOW = "cadence"  # a `/contact Tim alle 4 Wochen` whose new name waits likewise
# A balance this far to one side is worth a gentle word, at most once a month per contact.
LOPSIDED_AFTER = 2
NOTE_INTERVAL = timedelta(days=30)
MAX_CADENCE_DAYS = 365
# A meeting button pressed again this soon, for the same meeting, is a double tap.
DOUBLE_TAP = timedelta(minutes=1)
CONTACTS_PAGE_SIZE = 10
# A page shows at most this many balance notes; the others wait for a later look.
_NOTES_PER_PAGE = 2
# `/contact Anna alle 4 Wochen`: the name and at most this much more.
_CADENCE_WORDS_LENGTH = 32

_UNIT_DAYS: Final = {"day": 1, "tag": 1, "week": 7, "woche": 7, "month": 30, "monat": 30}
_NUMBERS: Final = {
    "one": 1, "ein": 1, "einen": 1, "two": 2, "zwei": 2, "three": 3, "drei": 3,
    "four": 4, "vier": 4, "five": 5, "fünf": 5, "six": 6, "sechs": 6, "eight": 8, "acht": 8,
}  # fmt: skip
_CADENCE = re.compile(
    r"^(?P<name>.+?)\s+(?:every|alle|jede[nrs]?)\s+(?:(?P<n>\d{1,3}|[a-zäöü]+)\s+)?"
    r"(?P<unit>days?|tage?n?|weeks?|wochen?|months?|monate?n?)$",
    re.IGNORECASE,
)
_STOP = re.compile(r"^(?P<name>.+?)\s+(?:off|aus|nie|never|stop|stopp)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class BalanceNote:
    """A lopsided give-and-take with one contact."""

    contact: str
    gave: int
    received: int


@dataclass(frozen=True, slots=True)
class ContactLine:
    """One contact as `/contacts` lists it."""

    name: str
    last_interaction_at: datetime | None
    open_commitments: int
    gave: int
    received: int
    cadence_days: int | None


@dataclass(frozen=True, slots=True)
class ContactList:
    """A page of contacts, and the notes due on lopsided balances among them."""

    member: Member
    now: datetime  # when listed: a date in another year shows it
    contacts: tuple[ContactLine, ...]
    notes: tuple[BalanceNote, ...]
    page: Page

    @property
    def has_next(self) -> bool:
        """There is a page after this one."""
        return self.page.has_next


@dataclass(frozen=True, slots=True)
class CadenceResult:
    """`/contact Anna every 4 weeks`: the cadence set (None: stopped), or `bad_input`.

    `new_contact`: the name is not among the contacts; nothing is set until the member
    confirms it (the cadence asked for is in `cadence_days`). `unknown`: `Tim aus` for a
    Tim who is no contact, so there is nothing to stop.
    """

    member: Member
    now: datetime  # when set: a check-in in another year shows it
    contact: str | None = None
    cadence_days: int | None = None
    next_checkin_at: datetime | None = None
    bad_input: bool = False
    limit: LimitReached | None = None
    new_contact: str | None = None
    unknown: bool = False


@dataclass(frozen=True, slots=True)
class MetResult:
    """`/met Anna`: the interaction logged, with its id for the optional ledger tap."""

    member: Member
    now: datetime  # when logged: a day in another year shows it
    contact: str | None = None
    interaction_id: int | None = None
    next_checkin_at: datetime | None = None
    limit: LimitReached | None = None
    met_at: datetime | None = None  # set when the member named an earlier day
    new_contact: str | None = None  # a name not yet among the contacts: confirm it first


# Day words a `/met` line may start or end its note with: how many days ago.
_DAYS_AGO: Final[dict[tuple[str, ...], int]] = {
    ("day", "before", "yesterday"): 2, ("vorgestern",): 2,
    ("gestern",): 1, ("yesterday",): 1, ("heute",): 0, ("today",): 0,
}  # fmt: skip


def _days_ago(note: str) -> tuple[int, str]:
    """Take "gestern"/"yesterday" (and the like) off the start or end of a `/met` note."""
    words = note.split()
    folded = [word.strip(",.;:!?").casefold() for word in words]
    for phrase, days in _DAYS_AGO.items():
        size = len(phrase)
        if tuple(folded[:size]) == phrase:
            return days, " ".join(words[size:])
        if len(words) > size and tuple(folded[-size:]) == phrase:
            return days, " ".join(words[:-size]).rstrip(",;:")
    return 0, note


def parse_cadence(text: str) -> tuple[str, int | None] | None:
    """Read "Anna every 4 weeks" / "Anna alle 4 Wochen" -> ("Anna", 28); "Anna aus" -> None days."""
    text = " ".join(text.split())
    stop = _STOP.match(text)
    if stop:
        return stop["name"], None
    match = _CADENCE.match(text)
    if match is None:
        return None
    count_text = (match["n"] or "1").casefold()
    count = int(count_text) if count_text.isdigit() else _NUMBERS.get(count_text)
    unit = match["unit"].casefold()
    per = next(days for prefix, days in _UNIT_DAYS.items() if unit.startswith(prefix))
    if count is None or not 0 < count * per <= MAX_CADENCE_DAYS:
        return None
    return match["name"], count * per


async def log_interaction(
    session: AsyncSession,
    contact: Contact,
    now: datetime,
    *,
    commitment_id: int | None = None,
    note: str | None = None,
) -> Interaction:
    """Log an interaction; a running cadence starts over from now."""
    interaction = await add_interaction(
        session, contact, now, commitment_id=commitment_id, note=note
    )
    if contact.cadence_days is not None:
        contact.next_checkin_at = now + timedelta(days=contact.cadence_days)
        contact.checkin_pings = 0
    return interaction


async def just_logged(
    session: AsyncSession, contact: Contact, now: datetime, note: str | None
) -> bool:
    """Whether this very meeting (this contact, this note, no commitment) was logged within
    `DOUBLE_TAP`: a meeting button pressed twice logs it once."""
    latest = await interactions_of(session, contact, offset=0, limit=1)
    return bool(latest) and (
        latest[0].commitment_id is None
        and latest[0].note == note
        and now - latest[0].created_at < DOUBLE_TAP
    )


def _lopsided(gave: int, received: int) -> bool:
    return abs(gave - received) >= LOPSIDED_AFTER


def _note_due(contact: Contact, gave: int, received: int, now: datetime) -> BalanceNote | None:
    """A note on a lopsided balance (marked as given), unless one was given within a month."""
    if not _lopsided(gave, received):
        return None
    if contact.balance_noted_at is not None and now - contact.balance_noted_at < NOTE_INTERVAL:
        return None
    contact.balance_noted_at = now
    return BalanceNote(contact.name, gave, received)


async def balance_note(
    session: AsyncSession, contact: Contact, now: datetime
) -> BalanceNote | None:
    """A note on a lopsided balance, unless one was given for this contact within a month."""
    counts = await exchange_counts(session, contact.id)
    both = counts.get(Exchange.BOTH, 0)  # counts as given and as received
    gave, received = counts.get(Exchange.GAVE, 0) + both, counts.get(Exchange.RECEIVED, 0) + both
    return _note_due(contact, gave, received, now)


async def list_contacts(runtime: Runtime, who: Identity, page: int = 0) -> ContactList | None:
    """`/contacts`: a page of contacts with last interaction, open commitments and balance.

    A constant number of statements whatever the member has: the member, the count, the
    page with its counts, and updates only for the balance notes given (two at most).
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        shown = page_of(page, await count_contacts(session, user.id), CONTACTS_PAGE_SIZE)
        rows = await contacts_page(session, user.id, offset=shown.offset, limit=shown.size)
        lines: list[ContactLine] = []
        notes: list[BalanceNote] = []
        for row in rows:
            contact = row.contact
            lines.append(
                ContactLine(
                    name=contact.name,
                    last_interaction_at=contact.last_interaction_at,
                    open_commitments=row.open_commitments,
                    gave=row.gave,
                    received=row.received,
                    cadence_days=contact.cadence_days,
                )
            )
            note = (
                _note_due(contact, row.gave, row.received, now)
                if len(notes) < _NOTES_PER_PAGE
                else None
            )
            if note is not None:
                notes.append(note)
        return ContactList(member_from_row(user), now, tuple(lines), tuple(notes), shown)


async def known_contact_in(session: AsyncSession, user_id: int, text: str) -> Contact | None:
    """The member's known contact named in `text` (the longest name wins), else None."""
    candidates = name_candidates(text)
    found = {
        contact.name.casefold(): contact
        for contact in await contacts_named(session, user_id, candidates)
        if not is_unreadable(contact.name)
    }
    return next((found[run.casefold()] for run in candidates if run.casefold() in found), None)


async def contacts_named_in_text(
    session: AsyncSession, user_id: int, words: list[Word], limit: int
) -> list[NamedContact]:
    """The member's contacts a free text names, in the order the text names them (the
    longest name first where two start together): one read, bounded by the words read."""
    runs = name_runs(words)
    # Every run finds one contact at most (a name is unique per member): all are read,
    # so the first named is not lost to a later one with a smaller id.
    named = await contacts_named_in(
        await session.connection(), user_id, [run.text for run in runs], len(runs)
    )
    return in_text_order(named, runs)[:limit]


def in_text_order(named: list[NamedContact], runs: list[WordRun]) -> list[NamedContact]:
    """Contacts found by `runs`, in the order the text names them (the longest name
    first where two start together: "Tom Becker" before "Tom")."""
    return sorted(named, key=lambda found: (runs[found.run].start, -runs[found.run].size))


async def known_contact_in_text(session: AsyncSession, user_id: int, text: str) -> Contact | None:
    """The first of the member's contacts a free text names, however it is written."""
    named = await contacts_named_in_text(session, user_id, sentence_words(text), 1)
    return await member_contact(session, user_id, named[0].id) if named else None


async def new_contact_refused(
    session: AsyncSession, settings: Settings, user_id: int, name: str
) -> LimitReached | None:
    """The refusal when `name` would be a new contact beyond the member's limit, else None."""
    if await contact_by_name(session, user_id, name) is not None:
        return None
    if await count_contacts(session, user_id) < settings.max_contacts:
        return None
    return count_limit(settings, Limit.CONTACTS)


async def set_cadence(runtime: Runtime, who: Identity, text: str) -> CadenceResult | None:
    """`/contact Anna every 4 weeks` (or `alle 4 Wochen`; `Anna aus` stops it).

    Known contacts are matched first. A name not yet among them is not created: the line
    waits (flow "cadence") until the member confirms it (`confirm_cadence`).
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        member = member_from_row(user)
        name_limit = TEXT_LIMITS[Limit.CONTACT_NAME]
        if len(text) > name_limit + _CADENCE_WORDS_LENGTH:  # only the name can be long
            return CadenceResult(member, now, limit=LimitReached(Limit.CONTACT_NAME, name_limit))
        parsed = parse_cadence(text)
        if parsed is None:
            return CadenceResult(member, now, bad_input=True)
        name, days = parsed
        refused = over_text_limit(Limit.CONTACT_NAME, name)
        if refused is not None:
            return CadenceResult(member, now, limit=refused)
        contact = await contact_by_name(session, user.id, name)
        if contact is None and days is None:
            return CadenceResult(member, now, name, unknown=True)
        if contact is None:
            refused = await new_contact_refused(session, runtime.settings, user.id, name)
            if refused is not None:
                return CadenceResult(member, now, limit=refused)
            data = {"name": name, "days": days}
            await set_state(session, user.id, flow=CADENCE_FLOW, step="confirm", data=data, now=now)
            return CadenceResult(member, now, cadence_days=days, new_contact=name)
        apply_cadence(contact, days, now)
        return CadenceResult(member, now, contact.name, days, contact.next_checkin_at)


async def confirm_cadence(runtime: Runtime, who: Identity) -> CadenceResult | None:
    """The member confirmed the new name of a waiting `/contact … alle 4 Wochen`."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        confirmed = await _confirmed_contact(session, runtime, who, CADENCE_FLOW, now)
        if confirmed is None:
            return None
        user, data, contact = confirmed
        member = member_from_row(user)
        days = data.get("days")
        if not isinstance(contact, Contact):
            return CadenceResult(member, now, limit=contact)
        if not isinstance(days, int) or not 0 < days <= MAX_CADENCE_DAYS:
            return CadenceResult(member, now, bad_input=True)
        apply_cadence(contact, days, now)
        return CadenceResult(member, now, contact.name, days, contact.next_checkin_at)


async def _confirmed_contact(
    session: AsyncSession, runtime: Runtime, who: Identity, flow: str, now: datetime
) -> tuple[User, dict[str, Any], Contact | LimitReached | None] | None:
    """The line of `flow` that waited for the member's yes, and its contact, created now.

    The contact is the limit that refuses it when the member has as many as allowed
    meanwhile, or None without a name. None when no such line waits.
    """
    user = await get_user_by_telegram_id(session, who.telegram_id)
    state = await get_state(session, user.id) if user is not None else None
    if user is None or state is None or state.flow != flow:
        return None
    data = dict(state.data)
    await clear_state(session, user.id)
    name = str(data.get("name", ""))
    if not name:
        return user, data, None
    refused = await new_contact_refused(session, runtime.settings, user.id, name)
    if refused is not None:
        return user, data, refused
    return user, data, await get_or_create_contact(session, user.id, name, now)


def apply_cadence(contact: Contact, days: int | None, now: datetime) -> None:
    """Check in every `days` days from the last interaction (None: no more check-ins)."""
    contact.cadence_days = days
    contact.checkin_pings = 0
    contact.next_checkin_at = (
        max(now, (contact.last_interaction_at or now) + timedelta(days=days))
        if days is not None
        else None
    )


async def _find_or_name(
    session: AsyncSession, user_id: int, words: list[str]
) -> tuple[Contact | None, str, str]:
    """Split `/met` text into a contact (or a new name) and a note: known contacts first.

    The longest run of words naming a known contact wins; otherwise up to three
    capitalised words make a new name.
    """
    for size in range(min(len(words), 4), 0, -1):
        name = " ".join(words[:size])
        found = await contact_by_name(session, user_id, name)
        if found is not None:
            return found, name, " ".join(words[size:])
    size = 1
    while size < len(words) and size < 3 and words[size][:1].isupper():
        size += 1
    return None, " ".join(words[:size]), " ".join(words[size:])


async def met(runtime: Runtime, who: Identity, text: str) -> MetResult | None:
    """`/met Anna [note]`: log an interaction with Anna; a new name is confirmed first.

    Known contacts are matched first. A name not yet among them is not created: the
    line waits (flow "met") until the member confirms it (`confirm_met`).
    "gestern"/"yesterday" (or "vorgestern", "day before yesterday") at the start or end
    of the note logs it that many days ago.
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        member = member_from_row(user)
        if len(text) > TEXT_LIMITS[Limit.CONTACT_NAME] + TEXT_LIMITS[Limit.NOTE]:
            return MetResult(member, now, limit=LimitReached(Limit.NOTE, TEXT_LIMITS[Limit.NOTE]))
        words = text.split()
        if not words:
            return MetResult(member, now)
        found, name, note = await _find_or_name(session, user.id, words)
        refused = over_text_limit(Limit.CONTACT_NAME, name) or over_text_limit(Limit.NOTE, note)
        if found is None:
            refused = refused or await new_contact_refused(session, runtime.settings, user.id, name)
        if refused is not None:
            return MetResult(member, now, limit=refused)
        days, note = _days_ago(note)
        if found is None:
            return await ask_new_contact(session, member, user.id, name, note, now, days=days)
        return await _log_met(session, member, found, note, days, now)


async def ask_new_contact(
    session: AsyncSession,
    member: Member,
    user_id: int,
    name: str,
    note: str,
    now: datetime,
    *,
    days: int = 0,
) -> MetResult:
    """A meeting with a name not yet among the contacts waits for the member's yes.

    Nothing is created until `confirm_met`: the name, the note and the day wait in the
    conversation state (flow "met"), and the answer asks "new contact: Ben?".
    """
    data = {"name": name, "note": note, "days": days}
    await set_state(session, user_id, flow=MET_FLOW, step="confirm", data=data, now=now)
    return MetResult(member, now, new_contact=name)


async def confirm_met(runtime: Runtime, who: Identity) -> MetResult | None:
    """The member confirmed the new name of a waiting `/met`: create it and log the meeting."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        confirmed = await _confirmed_contact(session, runtime, who, MET_FLOW, now)
        if confirmed is None:
            return None
        user, data, contact = confirmed
        member = member_from_row(user)
        if not isinstance(contact, Contact):
            return MetResult(member, now, limit=contact)
        days = int(data.get("days", 0))
        return await _log_met(session, member, contact, str(data.get("note", "")), days, now)


async def _log_met(
    session: AsyncSession, member: Member, contact: Contact, note: str, days: int, now: datetime
) -> MetResult:
    met_at = now - timedelta(days=days)
    interaction = await log_interaction(session, contact, met_at, note=note or None)
    # The contact found, not its name again: a name that cannot be read is "".
    return MetResult(
        member,
        now,
        contact.name,
        interaction.id,
        contact.next_checkin_at,
        met_at=met_at if days else None,
    )
