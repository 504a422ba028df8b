"""Undo the last tap: a Done, Release, Snooze or ledger tap, for a few minutes after it.

The tap keeps what it changed as it was before (`storage.models.UndoableTap`): the
commitment's state and moments, the contact's moments and counts; a Done also names the
interaction it logged, which an undo deletes. Next to them (under `_AFTER`) it keeps the
same fields as the tap left them. Only the member's last tap can be undone, only within
`UNDO_WINDOW`, and only while every one of those fields is still as the tap left it: an
undo after a later change (a snooze, then a new date; a Done, then `/met` with the same
contact) would write the old values over the new ones.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.commitments import CommitmentView, view_of
from bot.domain.members import Identity, Member, member_from_row
from bot.domain.runtime import Runtime
from storage.models import Commitment, CommitmentStatus, Contact, Interaction, UndoableTap
from storage.owned import owned_row
from storage.undo import forget_tap, forget_taps_before, remember_tap, user_tap

__all__ = [
    "UNDO_WINDOW",
    "Tap",
    "UndoRef",
    "Undone",
    "commitment_before",
    "forget_old_taps",
    "ledger_before",
    "remember_commitment_tap",
    "remember_ledger_tap",
    "undo_tap",
]

UNDO_WINDOW = timedelta(minutes=5)
_COMMITMENT_FIELDS = ("status", "closed_at", "followup_at", "pings", "on_time")
_CONTACT_FIELDS = ("last_interaction_at", "next_checkin_at", "checkin_pings", "balance_noted_at")
_AFTER = "after"  # in a tap's `before`: the same fields as the tap left them


class Tap(enum.StrEnum):
    """A tap that can be undone."""

    DONE = "done"
    RELEASE = "release"
    SNOOZE = "snooze"
    LEDGER = "ledger"


@dataclass(frozen=True, slots=True)
class UndoRef:
    """What an undo button names: the tap and its row (a commitment, or for the ledger an
    interaction). Tap rows themselves are replaced, and their ids may come back."""

    tap: Tap
    target_id: int


@dataclass(frozen=True, slots=True)
class Undone:
    """An undone tap: the commitment open again (to answer anew), or the ledger tap cleared.

    `expired` when the tap is too old or no longer the last one: nothing was changed.
    """

    member: Member
    now: datetime  # when undone: a date in another year shows it
    tap: Tap | None = None
    commitment: CommitmentView | None = None
    interaction_id: int | None = None
    contact: str | None = None
    expired: bool = False


def _stored(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value.value if isinstance(value, enum.Enum) else value


def _loaded(field: str, value: Any) -> Any:
    if value is not None and field.endswith("_at"):
        return datetime.fromisoformat(value)
    return CommitmentStatus(value) if field == "status" else value


def _snapshot(row: object, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: _stored(getattr(row, field)) for field in fields}


def _restore(row: object, saved: dict[str, Any]) -> None:
    for field, value in saved.items():
        setattr(row, field, _loaded(field, value))


def _unchanged(row: object, saved: dict[str, Any]) -> bool:
    return all(getattr(row, field) == _loaded(field, value) for field, value in saved.items())


def _rows(commitment: Commitment | None, contact: Contact | None) -> dict[str, object]:
    rows: dict[str, object] = {}
    if commitment is not None:
        rows["commitment"] = commitment
    if contact is not None:
        rows["contact"] = contact
    return rows


def _with_after(before: dict[str, Any], rows: dict[str, object]) -> dict[str, Any]:
    """`before` with, for each row it holds, the same fields as they are now (after the tap)."""
    after = {name: _snapshot(rows[name], tuple(before[name])) for name in before if name in rows}
    return {**before, _AFTER: after}


def _as_tapped(tap: UndoableTap, rows: dict[str, object]) -> bool:
    """Whether every field the tap kept is still as the tap left it (and its rows are there)."""
    after: dict[str, dict[str, Any]] = tap.before.get(_AFTER, {})
    kept = [name for name in tap.before if name != _AFTER]
    return all(
        name in rows and name in after and _unchanged(rows[name], after[name]) for name in kept
    )


def commitment_before(commitment: Commitment, contact: Contact | None) -> dict[str, Any]:
    """What a Done, Release or Snooze is about to change, as it is now."""
    before = {"commitment": _snapshot(commitment, _COMMITMENT_FIELDS)}
    if contact is not None:
        before["contact"] = _snapshot(contact, _CONTACT_FIELDS)
    return before


def ledger_before(contact: Contact) -> dict[str, Any]:
    """What a ledger tap (with its balance note) is about to change, as it is now."""
    return {"contact": _snapshot(contact, _CONTACT_FIELDS)}


async def remember_commitment_tap(
    session: AsyncSession,
    commitment: Commitment,
    contact: Contact | None,
    tap: Tap,
    before: dict[str, Any],
    now: datetime,
    interaction_id: int | None = None,
) -> UndoRef:
    """Keep a Done / Release / Snooze, once made, as the member's last tap; what the undo
    button names."""
    await remember_tap(
        session,
        user_id=commitment.user_id,
        action=tap.value,
        before=_with_after(before, _rows(commitment, contact)),
        now=now,
        commitment_id=commitment.id,
        interaction_id=interaction_id,
    )
    return UndoRef(tap, commitment.id)


async def remember_ledger_tap(
    session: AsyncSession,
    interaction: Interaction,
    contact: Contact,
    before: dict[str, Any],
    now: datetime,
) -> UndoRef:
    """Keep a ledger tap, once made (with its balance note), as the member's last tap."""
    await remember_tap(
        session,
        user_id=interaction.user_id,
        action=Tap.LEDGER.value,
        before=_with_after(before, _rows(None, contact)),
        now=now,
        interaction_id=interaction.id,
    )
    return UndoRef(Tap.LEDGER, interaction.id)


async def undo_tap(runtime: Runtime, who: Identity, ref: UndoRef) -> Undone | None:
    """Undo the member's last tap; None when the row it names is not theirs (forged)."""
    now = runtime.clock.now()
    async with runtime.sessions.begin() as session:
        owned = (
            await owned_row(session, who.telegram_id, Interaction, ref.target_id)
            if ref.tap is Tap.LEDGER
            else await owned_row(session, who.telegram_id, Commitment, ref.target_id)
        )
        if owned is None:
            return None
        user = owned[0]
        member = member_from_row(user)
        tap = await user_tap(session, user.id)
        # Not the last tap any more (or undone already, or cleared as too old): nothing to do.
        if tap is None or not _names(tap, ref) or now - tap.created_at > UNDO_WINDOW:
            return Undone(member, now, expired=True)
        kind = Tap(tap.action)
        commitment = await session.get(Commitment, tap.commitment_id) if tap.commitment_id else None
        interaction = (
            await session.get(Interaction, tap.interaction_id) if tap.interaction_id else None
        )
        contact_id = commitment.contact_id if commitment else None
        contact_id = interaction.contact_id if interaction else contact_id
        contact = await session.get(Contact, contact_id) if contact_id else None
        if not _still_as_tapped(kind, commitment, interaction) or not _as_tapped(
            tap, _rows(commitment, contact)
        ):
            await forget_tap(session, user.id)
            return Undone(member, now, expired=True)
        await forget_tap(session, user.id)
        if commitment is not None:
            _restore(commitment, tap.before["commitment"])
        if contact is not None and "contact" in tap.before:
            _restore(contact, tap.before["contact"])
        if interaction is not None and kind is Tap.DONE:
            await session.delete(interaction)
            interaction = None
        if interaction is not None:
            interaction.exchange = None
        return Undone(
            member,
            now,
            kind,
            commitment=view_of(commitment, contact) if commitment else None,
            interaction_id=interaction.id if interaction else None,
            contact=contact.name if contact else None,
        )


def _names(tap: UndoableTap, ref: UndoRef) -> bool:
    """Whether the member's last tap is the one the button names."""
    target = tap.interaction_id if ref.tap is Tap.LEDGER else tap.commitment_id
    return tap.action == ref.tap.value and target == ref.target_id


def _still_as_tapped(
    tap: Tap, commitment: Commitment | None, interaction: Interaction | None
) -> bool:
    """Whether the rows are still as the tap left them."""
    if tap is Tap.LEDGER:
        return interaction is not None and interaction.exchange is not None
    if commitment is None:
        return False
    if tap is Tap.SNOOZE:
        return commitment.status is CommitmentStatus.OPEN
    wanted = CommitmentStatus.DONE if tap is Tap.DONE else CommitmentStatus.RELEASED
    return commitment.status is wanted


async def forget_old_taps(runtime: Runtime) -> int:
    """Delete taps too old to undo (nothing is kept longer than it is of use)."""
    async with runtime.sessions.begin() as session:
        return await forget_taps_before(session, runtime.clock.now() - UNDO_WINDOW)
