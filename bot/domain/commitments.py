"""Making a commitment: one line, or guided (who, what, by when), kept in the database.

`/commit Anna anrufen bis Freitag` is read by `commitment_text.parse_commitment` in the
member's zone and language. Whatever is missing or unclear is asked for, never guessed:
the draft waits in `conversation_states` (flow "commitment"), so a restart loses
nothing. The same flow takes the new date when a commitment is renegotiated.

Fair limits (`bot.domain.limits`): every text is measured before it is read, a new
contact or commitment beyond the member's limit is refused before anything is saved, and
dates are read in the reading thread (`bot.domain.off_loop`), outside any transaction.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.commitment_text import (
    QUICK_DUE_CHOICES,
    DueProblem,
    ParsedCommitment,
    parse_commitment,
    parse_due,
    quick_due,
)
from bot.domain.contacts import known_contact_in, new_contact_refused
from bot.domain.limits import Limit, LimitReached, count_limit, over_text_limit
from bot.domain.members import Identity, Member, member_from_row
from bot.domain.off_loop import off_loop
from bot.domain.paging import Page, page_of
from bot.domain.runtime import Runtime
from storage.commitments import count_open_commitments, on_time_counts, open_commitments_page
from storage.contacts import contact_by_name, get_or_create_contact, recent_contacts
from storage.conversations import clear_state, get_state, set_state
from storage.deliveries import PROMPT_KINDS, latest_sent_prompt
from storage.models import Commitment, CommitmentStatus, Contact, Delivery, User
from storage.unreadable import is_unreadable
from storage.users import get_user_by_telegram_id

__all__ = [
    "COMMITMENTS_PAGE_SIZE",
    "COMMITMENT_FLOW",
    "DEFAULT_MINUTE",
    "Ask",
    "CommitStep",
    "CommitmentList",
    "CommitmentView",
    "answer_text",
    "choose_action",
    "choose_contact",
    "choose_due",
    "choose_kept",
    "commit_line",
    "confirm_contact",
    "list_open",
    "start_guided",
    "view_of",
]

COMMITMENT_FLOW = "commitment"
# Without a weekly slot, a date without a time means 09:00.
DEFAULT_MINUTE = 9 * 60
COMMITMENTS_PAGE_SIZE = 5
_CONTACT_CHOICES = 4

log = logging.getLogger("netcoach.commitments")
_T = TypeVar("_T")


class Ask(enum.StrEnum):
    """What the member is asked for next."""

    WHO = "who"
    WHAT = "what"
    WHEN = "when"
    WHEN_TEXT = "when_text"  # "another date": type it
    MOVE = "move"  # the new date of a renegotiated commitment
    MOVE_TEXT = "move_text"
    KEEP = "keep"  # a new /commit while one is unfinished: which one to keep?
    NEW_CONTACT = "new_contact"  # a name not yet among the contacts: confirm it first


@dataclass(frozen=True, slots=True)
class CommitmentView:
    """A commitment as the member sees it."""

    id: int
    action: str
    contact: str | None
    due_at: datetime
    status: CommitmentStatus
    followup_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CommitStep:
    """One step of making (or moving) a commitment, for the handler to render."""

    member: Member
    now: datetime  # when the step was taken: a date in another year shows it
    ask: Ask | None = None
    problem: str | None = None  # not_ready, past, ambiguous, unclear
    limit: LimitReached | None = None
    contact: str | None = None
    action: str | None = None
    suggestions: tuple[str, ...] = ()
    contacts: tuple[tuple[int, str], ...] = ()
    commitment_id: int | None = None
    created: CommitmentView | None = None
    moved: CommitmentView | None = None
    replacement: str | None = None  # Ask.KEEP: the new line waiting beside the draft


@dataclass(frozen=True, slots=True)
class CommitmentList:
    """A page of the member's open commitments and how reliably they kept earlier ones."""

    member: Member
    now: datetime  # when listed: a date in another year shows it
    items: tuple[CommitmentView, ...]
    kept: int
    decided: int
    page: Page


def view_of(commitment: Commitment, contact: Contact | None) -> CommitmentView:
    """Copy a commitment into a plain object."""
    return _view(commitment, contact.name if contact is not None else None)


def _view(commitment: Commitment, contact_name: str | None) -> CommitmentView:
    return CommitmentView(
        id=commitment.id,
        action=commitment.action,
        contact=contact_name,
        due_at=commitment.due_at,
        status=commitment.status,
        followup_at=commitment.followup_at,
    )


async def _read(reading: Callable[[], _T]) -> _T | None:
    """Read a member's text in the reading thread; None when it overran its budget."""
    try:
        return await off_loop(reading)
    except TimeoutError:
        log.warning("reading a commitment text overran its time budget")
        return None


async def _commitments_full(
    session: AsyncSession, runtime: Runtime, user: User
) -> LimitReached | None:
    """The refusal when the member already has as many open commitments as allowed."""
    if await count_open_commitments(session, user.id) < runtime.settings.max_open_commitments:
        return None
    return count_limit(runtime.settings, Limit.OPEN_COMMITMENTS)


def _ready(user: User | None) -> bool:
    return user is not None and user.onboarded_at is not None and user.timezone is not None


def _parse_frame(user: User, now: datetime) -> dict[str, Any]:
    return {
        "now": now,
        "timezone": user.timezone or "UTC",
        "language": user.language,
        "default_minute_of_day": user.slot_minute
        if user.slot_minute is not None
        else DEFAULT_MINUTE,
    }


async def _card_key(session: AsyncSession, user: User, delivery_id: int | None) -> str | None:
    """The card behind a prompt button (only the member's own), else their latest prompt's."""
    if delivery_id is not None:
        delivery = await session.get(Delivery, delivery_id)
        ok = delivery is not None and delivery.user_id == user.id and delivery.kind in PROMPT_KINDS
        return delivery.card_key if ok and delivery is not None else ""
    latest = await latest_sent_prompt(session, user.id)
    return latest.card_key if latest is not None else None


def _suggestions(
    runtime: Runtime, user: User, card_key: str | None, contact: object
) -> tuple[str, ...]:
    """The card's actions, `{contact}` filled with the contact the draft names ("Tom
    anrufen"), else with "jemanden"/"someone" (the member chose nobody in particular)."""
    card = runtime.curriculum.get(card_key or "") if card_key else None
    card = card or runtime.curriculum.intro
    name = contact if isinstance(contact, str) and contact.strip() else None
    return card.text(user.language).action_labels(name)


async def _contact_choices(session: AsyncSession, user: User) -> tuple[tuple[int, str], ...]:
    # A name that cannot be read makes no button (Telegram refuses an empty label).
    recent = await recent_contacts(session, user.id, _CONTACT_CHOICES)
    return tuple((c.id, c.name) for c in recent if not is_unreadable(c.name))


async def _advance(
    session: AsyncSession,
    runtime: Runtime,
    user: User,
    draft: dict[str, Any],
    now: datetime,
    problem: str | None = None,
) -> CommitStep:
    """Ask for the next missing part of the draft, or make the commitment.

    A date `problem` (past, ambiguous, unclear) waits in the draft until the date is
    asked for, so every message asks one thing.

    A new contact beyond the member's limit is not taken: "who?" is asked again, with
    the limit said. At the open-commitments limit nothing is made and the draft ends.
    """
    member = member_from_row(user)
    contact, action = draft.get("contact"), draft.get("action")
    limit: LimitReached | None = None
    if draft.get("contact_set") and contact:
        limit = await new_contact_refused(session, runtime.settings, user.id, str(contact))
        if limit is not None:
            draft.update(contact=None, contact_set=False)
            contact = None
    if draft.get("contact_set") and contact and not draft.get("contact_ok"):
        known = await contact_by_name(session, user.id, str(contact))
        if known is not None:
            draft.update(contact=known.name, contact_ok=True)
            contact = known.name
    ask: Ask | None = None
    if not draft.get("contact_set"):
        ask = Ask.WHO
    elif contact and not draft.get("contact_ok"):
        ask = Ask.NEW_CONTACT
    elif not action:
        ask = Ask.WHAT
    elif not draft.get("due"):
        ask = Ask.WHEN
    # One question at a time: a date that could not be taken is said when the date is
    # asked for, not beside "new contact: Ben?".
    if ask is Ask.WHEN:
        problem = problem or draft.pop("due_problem", None)
    elif ask is not None and problem is not None:
        draft["due_problem"] = problem
        problem = None
    if ask is not None:
        await set_state(session, user.id, flow=COMMITMENT_FLOW, step=ask, data=draft, now=now)
        return CommitStep(
            member,
            now,
            ask=ask,
            problem=problem,
            limit=limit,
            contact=contact,
            action=action,
            suggestions=_suggestions(runtime, user, draft.get("card_key"), contact)
            if ask is Ask.WHAT
            else (),
            contacts=await _contact_choices(session, user) if ask is Ask.WHO else (),
        )
    full = await _commitments_full(session, runtime, user)
    if full is not None:
        await clear_state(session, user.id)
        return CommitStep(member, now, limit=full)
    due_at = datetime.fromisoformat(draft["due"])
    found = await get_or_create_contact(session, user.id, contact, now) if contact else None
    commitment = Commitment(
        user_id=user.id,
        contact_id=found.id if found is not None else None,
        card_key=draft.get("card_key") or None,
        action=str(action),
        status=CommitmentStatus.OPEN,
        due_at=due_at,
        followup_at=due_at,
        pings=0,
        renegotiations=0,
        created_at=now,
    )
    session.add(commitment)
    await session.flush()
    await clear_state(session, user.id)
    return CommitStep(member, now, created=view_of(commitment, found))


def _wordy(action: str | None) -> str | None:
    """An action with at least one letter or digit; "🎉🎉🎉" says nothing to do: ask."""
    return action if action and any(char.isalnum() for char in action) else None


async def _user(session: AsyncSession, who: Identity) -> User | None:
    return await get_user_by_telegram_id(session, who.telegram_id)


async def _keep_which(
    runtime: Runtime, who: Identity, text: str, now: datetime
) -> CommitStep | None:
    """A new `/commit` while a draft waits: ask which to keep (None: no draft waits)."""
    async with runtime.sessions.begin() as session:
        found = await _draft(session, who, *Ask)
        if found is None or "commitment_id" in found[1]:
            return None
        user, draft, step = found
        # Asked already: the newest line is the one offered.
        waiting = draft.get("waiting_step", step.value) if step is Ask.KEEP else step.value
        draft.update(replacement=text, waiting_step=waiting)
        await set_state(session, user.id, flow=COMMITMENT_FLOW, step=Ask.KEEP, data=draft, now=now)
        return _keep_question(user, draft, now)


def _keep_question(user: User, draft: dict[str, Any], now: datetime) -> CommitStep:
    return CommitStep(
        member_from_row(user),
        now,
        ask=Ask.KEEP,
        action=draft.get("action"),
        contact=draft.get("contact"),
        replacement=str(draft.get("replacement", "")),
    )


async def choose_kept(runtime: Runtime, who: Identity, choice: str) -> CommitStep | None:
    """Answer to "which one to keep?": the waiting draft ("old") or the new line ("new")."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        found = await _draft(session, who, Ask.KEEP)
        if found is None or choice not in ("old", "new"):
            return None
        user, draft, _ = found
        replacement = str(draft.pop("replacement", ""))
        draft.pop("waiting_step", None)
        await clear_state(session, user.id)
        if choice == "old":
            return await _advance(session, runtime, user, draft, now)
    return await commit_line(runtime, who, replacement)


async def commit_line(runtime: Runtime, who: Identity, text: str) -> CommitStep | None:
    """`/commit <line>`: make the commitment, or ask for what is missing or unclear.

    While another draft waits for an answer, the member is asked which one to keep.
    """
    if not text.strip():
        return await start_guided(runtime, who)
    now = runtime.clock.now()
    if over_text_limit(Limit.COMMITMENT_TEXT, text) is None:
        asked = await _keep_which(runtime, who, text, now)
        if asked is not None:
            return asked
    async with runtime.sessions() as session:  # read only: the line is read after it closed
        user = await _user(session, who)
        if user is None:
            return None
        member = member_from_row(user)
        if not _ready(user):
            return CommitStep(member, now, problem="not_ready")
        refused = over_text_limit(Limit.COMMITMENT_TEXT, text)
        refused = refused or await _commitments_full(session, runtime, user)
        if refused is not None:
            return CommitStep(member, now, limit=refused)
        frame = _parse_frame(user, now)
    parsed = await _read(partial(parse_commitment, text, **frame))
    if parsed is None:
        return CommitStep(member, now, problem="unclear")
    # A "name" longer than any name is a misreading: ask who it is about instead.
    contact = parsed.contact
    if contact is not None and over_text_limit(Limit.CONTACT_NAME, contact) is not None:
        contact = None
    async with runtime.sessions.begin() as session:
        user = await _user(session, who)
        if user is None or not _ready(user):
            return None
        known = await known_contact_in(session, user.id, parsed.action)
        if known is not None:
            contact = known.name
        draft: dict[str, Any] = {
            "contact": contact,
            "contact_set": contact is not None,
            "contact_ok": known is not None,
            "action": _wordy(parsed.action),
            "card_key": await _card_key(session, user, None),
        }
        problem = parsed.problem.value if parsed.problem is not None else None
        if parsed.problem is None and parsed.due_at is not None:
            draft["due"] = parsed.due_at.isoformat()
        elif parsed.problem is DueProblem.MISSING:
            problem = None  # simply ask "by when?"
        return await _advance(session, runtime, user, draft, now, problem)


async def start_guided(
    runtime: Runtime, who: Identity, delivery_id: int | None = None, contact_id: int | None = None
) -> CommitStep | None:
    """Ask who, what and by when; from a prompt's button the card's actions are offered,
    from a contact's page "who" is that contact.

    None when the button names a delivery or contact that is not the member's.
    """
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        user = await _user(session, who)
        if user is None:
            return None
        card_key = await _card_key(session, user, delivery_id)
        if card_key == "":
            return None
        if not _ready(user):
            return CommitStep(member_from_row(user), now, problem="not_ready")
        full = await _commitments_full(session, runtime, user)
        if full is not None:
            return CommitStep(member_from_row(user), now, limit=full)
        draft: dict[str, Any] = {"card_key": card_key}
        if contact_id is not None:
            contact = await session.get(Contact, contact_id)
            if contact is None or contact.user_id != user.id:
                return None
            draft.update(contact=contact.name, contact_set=True)
        return await _advance(session, runtime, user, draft, now)


async def _draft(
    session: AsyncSession, who: Identity, *steps: Ask
) -> tuple[User, dict[str, Any], Ask] | None:
    user = await _user(session, who)
    if user is None:
        return None
    state = await get_state(session, user.id)
    if state is None or state.flow != COMMITMENT_FLOW or state.step not in steps:
        return None
    return user, dict(state.data), Ask(state.step)


async def choose_contact(runtime: Runtime, who: Identity, contact_id: int) -> CommitStep | None:
    """A contact button in answer to "who?" (0: nobody in particular)."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        found = await _draft(session, who, Ask.WHO)
        if found is None:
            return None
        user, draft, _ = found
        name = None
        if contact_id:
            contact = await session.get(Contact, contact_id)
            if contact is None or contact.user_id != user.id:
                return None
            name = contact.name
        draft.update(contact=name, contact_set=True, contact_ok=True)
        return await _advance(session, runtime, user, draft, now)


async def confirm_contact(runtime: Runtime, who: Identity, choice: str) -> CommitStep | None:
    """Answer to "new contact: Ben?": "yes", "other" (ask who) or "none" (nobody)."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        found = await _draft(session, who, Ask.NEW_CONTACT)
        if found is None or choice not in ("yes", "other", "none"):
            return None
        user, draft, _ = found
        if choice == "yes":
            draft["contact_ok"] = True
        else:
            draft.update(contact=None, contact_set=choice == "none", contact_ok=False)
        return await _advance(session, runtime, user, draft, now)


async def choose_action(runtime: Runtime, who: Identity, index: int) -> CommitStep | None:
    """One of the card's suggested actions in answer to "what?"."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        found = await _draft(session, who, Ask.WHAT)
        if found is None:
            return None
        user, draft, _ = found
        actions = _suggestions(runtime, user, draft.get("card_key"), draft.get("contact"))
        if not 0 <= index < len(actions):
            return None
        draft["action"] = actions[index]
        return await _advance(session, runtime, user, draft, now)


async def choose_due(
    runtime: Runtime, who: Identity, choice: str, commitment_id: int | None = None
) -> CommitStep | None:
    """A "by when?" button: tomorrow, in 3 days, next week, or "other" (then type a date).

    With `commitment_id` it answers "the new date?" of a renegotiation.
    """
    now = runtime.clock.now()
    steps = (Ask.MOVE, Ask.MOVE_TEXT) if commitment_id is not None else (Ask.WHEN, Ask.WHEN_TEXT)
    async with runtime.sessions.begin() as session:
        found = await _draft(session, who, *steps)
        if found is None:
            return None
        user, draft, _ = found
        if commitment_id is not None and draft.get("commitment_id") != commitment_id:
            return None
        if choice == "other":
            step = Ask.MOVE_TEXT if commitment_id is not None else Ask.WHEN_TEXT
            await set_state(session, user.id, flow=COMMITMENT_FLOW, step=step, data=draft, now=now)
            return CommitStep(member_from_row(user), now, ask=step, commitment_id=commitment_id)
        if choice not in QUICK_DUE_CHOICES:
            return None
        frame = _parse_frame(user, now)
        due = quick_due(
            choice,
            now=now,
            timezone=frame["timezone"],
            default_minute_of_day=frame["default_minute_of_day"],
        )
        return await _set_due(session, runtime, user, draft, due, now)


async def _set_due(
    session: AsyncSession,
    runtime: Runtime,
    user: User,
    draft: dict[str, Any],
    due: datetime,
    now: datetime,
) -> CommitStep:
    if "commitment_id" not in draft:
        draft["due"] = due.isoformat()
        return await _advance(session, runtime, user, draft, now)
    commitment = await session.get(Commitment, int(draft["commitment_id"]))
    await clear_state(session, user.id)
    if commitment is None or commitment.user_id != user.id:
        return CommitStep(member_from_row(user), now)
    commitment.due_at = due
    commitment.followup_at = due
    commitment.pings = 0
    commitment.renegotiations += 1
    commitment.renegotiated_at = now
    if commitment.on_time is not False:
        commitment.on_time = True  # renegotiated openly, before it was late
    contact = await session.get(Contact, commitment.contact_id) if commitment.contact_id else None
    return CommitStep(member_from_row(user), now, moved=view_of(commitment, contact))


_TEXT_LIMIT_OF_STEP = {
    Ask.WHO: Limit.CONTACT_NAME,
    Ask.WHAT: Limit.COMMITMENT_TEXT,
    Ask.WHEN: Limit.DUE_TEXT,
    Ask.WHEN_TEXT: Limit.DUE_TEXT,
    Ask.MOVE: Limit.DUE_TEXT,
    Ask.MOVE_TEXT: Limit.DUE_TEXT,
    Ask.KEEP: Limit.COMMITMENT_TEXT,
    Ask.NEW_CONTACT: Limit.CONTACT_NAME,
}


async def answer_text(runtime: Runtime, who: Identity, text: str) -> CommitStep | None:
    """Free text answers the open commitment question; None when none is open.

    The text is measured first (a refusal keeps the question open) and read in the
    reading thread between two short transactions, so no write waits for dateparser.
    """
    now = runtime.clock.now()
    text = text.strip()
    async with runtime.sessions() as session:
        found = await _draft(session, who, *Ask)
        if found is None:
            return None
        user, draft, step = found
        member = member_from_row(user)
        frame = _parse_frame(user, now)
        if step is Ask.KEEP:  # typing on answers the earlier question: that draft stays
            step = Ask(draft.get("waiting_step", Ask.WHEN))
    refused = over_text_limit(_TEXT_LIMIT_OF_STEP[step], text)
    if refused is not None:
        return CommitStep(member, now, limit=refused)
    parsed: ParsedCommitment | None = None
    due: datetime | DueProblem | None = None
    if step is Ask.WHAT:
        parsed = await _read(partial(parse_commitment, text, **frame))
    elif step not in (Ask.WHO, Ask.NEW_CONTACT):
        due = await _read(partial(parse_due, text, **frame))  # None: not read in time
    async with runtime.sessions.begin() as session:
        found = await _draft(session, who, step, Ask.KEEP)
        if found is None:
            return None  # the question changed meanwhile (another process took a button)
        user, draft, _ = found
        draft.pop("replacement", None)
        draft.pop("waiting_step", None)
        if step in (Ask.WHO, Ask.NEW_CONTACT):  # a typed name is confirmed if it is new
            draft.update(contact=text or None, contact_set=True, contact_ok=False)
            return await _advance(session, runtime, user, draft, now)
        if step is Ask.WHAT:
            draft["action"] = _wordy((parsed.action if parsed is not None else "") or text)
            if parsed is not None and parsed.problem is None and parsed.due_at is not None:
                draft["due"] = parsed.due_at.isoformat()
            return await _advance(session, runtime, user, draft, now)
        if not isinstance(due, datetime):
            problem = "unclear" if due is None or due is DueProblem.MISSING else due.value
            moving = step in (Ask.MOVE, Ask.MOVE_TEXT)
            return CommitStep(
                member_from_row(user),
                now,
                ask=Ask.MOVE if moving else Ask.WHEN,
                problem=problem,
                commitment_id=draft.get("commitment_id"),
            )
        return await _set_due(session, runtime, user, draft, due, now)


async def list_open(runtime: Runtime, who: Identity, page: int = 0) -> CommitmentList | None:
    """`/commitments` and `/kept`: a page of open commitments, and the share kept on time.

    Four statements whatever the member has: the member, the count, the page and the kept
    counts.
    """
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        user = await _user(session, who)
        if user is None:
            return None
        shown = page_of(page, await count_open_commitments(session, user.id), COMMITMENTS_PAGE_SIZE)
        rows = await open_commitments_page(session, user.id, offset=shown.offset, limit=shown.size)
        kept, decided = await on_time_counts(session, user.id)
        items = tuple(_view(commitment, name) for commitment, name in rows)
        return CommitmentList(member_from_row(user), now, items, kept, decided, shown)
