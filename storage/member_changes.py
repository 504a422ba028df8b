"""Sessions that tell which members' rows they changed (`users`, `conversation_states`).

Whoever keeps members' data at hand outside the database (see
`bot.domain.known_members`) hears of every change made through these sessions: at each
flush and again after the commit, with the members' user ids, or with None when a bulk
statement changed rows it cannot name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from storage.models import ConversationState, User

__all__ = ["MembersChanged", "NotifyingSession", "notifying_info"]

# Told the user ids of the members whose rows changed, or None for "any member's".
MembersChanged = Callable[[frozenset[int] | None], None]

_LISTENER = "netcoach_members_changed"
_PENDING = "netcoach_members_pending"
_MEMBER_TABLES = frozenset({User.__tablename__, ConversationState.__tablename__})


class NotifyingSession(Session):
    """The sync session behind every AsyncSession; its events report member changes."""


def notifying_info(on_members_changed: MembersChanged | None) -> dict[str, Any]:
    """The `info` that makes a `NotifyingSession` report to `on_members_changed`."""
    return {} if on_members_changed is None else {_LISTENER: on_members_changed}


def _changed_member_ids(session: Session) -> set[int]:
    ids: set[int] = set()
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, User) and row.id is not None:
            ids.add(row.id)
        elif isinstance(row, ConversationState):
            ids.add(row.user_id)
    return ids


@event.listens_for(NotifyingSession, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    notify: MembersChanged | None = session.info.get(_LISTENER)
    if notify is None:
        return
    ids = _changed_member_ids(session)
    if ids:
        session.info.setdefault(_PENDING, set()).update(ids)
        notify(frozenset(ids))


@event.listens_for(NotifyingSession, "after_commit")
def _after_commit(session: Session) -> None:
    # Again after the commit: a reader that looked between the flush and the commit
    # saw the old rows.
    notify: MembersChanged | None = session.info.get(_LISTENER)
    pending = session.info.pop(_PENDING, None)
    if notify is not None and pending:
        notify(frozenset(pending))


@event.listens_for(NotifyingSession, "after_soft_rollback")
def _after_rollback(session: Session, _transaction: Any) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(NotifyingSession, "do_orm_execute")
def _on_bulk_statement(state: ORMExecuteState) -> None:
    notify: MembersChanged | None = state.session.info.get(_LISTENER)
    if notify is None or not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is None or getattr(table, "name", None) in _MEMBER_TABLES:
        notify(None)
