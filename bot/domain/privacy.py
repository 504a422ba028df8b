"""Discretion for members: export everything stored about them, delete everything, retention.

Both export and deletion work from the table definitions, not from a hand-kept list:
every table is either `users` itself or has a `user_id`, so a new table is exported
and deleted without anyone remembering to add it here (a test checks that rule).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.members import Identity
from bot.domain.runtime import Runtime
from content.export_fields import export_field_docs
from content.i18n import catalog, format_local_datetime
from storage import retention
from storage.encrypted import open_row
from storage.models import Base, User
from storage.unreadable import is_unreadable
from storage.users import get_user_by_telegram_id

__all__ = [
    "EXPORT_FORMAT",
    "OPERATOR_TABLES",
    "MemberExport",
    "RetentionReport",
    "apply_retention",
    "delete_member",
    "export_member",
    "member_rows",
    "member_tables",
]

EXPORT_FORMAT = "netcoach-export/1"
# Tables that hold the operator's content or the processes' own bookkeeping (the send
# ceiling's shares), not anything about a member.
OPERATOR_TABLES = frozenset({"broadcasts", "ceiling_shares"})


@dataclass(frozen=True, slots=True)
class MemberExport:
    """The two files a member receives: machine-readable JSON and readable Markdown."""

    language: str
    json_bytes: bytes
    markdown_bytes: bytes


def member_tables() -> list[Table]:
    """Every table that holds something about a member, parents first."""
    return [
        table
        for table in Base.metadata.sorted_tables
        if table.name == User.__tablename__ or "user_id" in table.columns
    ]


async def member_rows(session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row about the member in every table, as plain values (texts decrypted)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in member_tables():
        owner = table.c.id if table.name == User.__tablename__ else table.c.user_id
        primary = [column for column in table.primary_key.columns]
        result = await session.execute(select(table).where(owner == user_id).order_by(*primary))
        rows[table.name] = [
            open_row(table, row._mapping, session=session.sync_session) for row in result
        ]
    return rows


def _plain(value: object, language: str) -> object:
    if is_unreadable(value):
        return catalog(language).raw("unreadable.text")
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _as_json(rows: Mapping[str, list[dict[str, Any]]], now: datetime, language: str) -> bytes:
    docs = export_field_docs()
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": now.isoformat(),
        "fields": {
            table: {
                field: texts for field, texts in docs.get(table, {}).items() if field != "_title"
            }
            for table in rows
        },
        "tables": {
            table: [
                {field: _plain(value, language) for field, value in row.items()}
                for row in table_rows
            ]
            for table, table_rows in rows.items()
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _as_markdown(
    rows: Mapping[str, list[dict[str, Any]]], now: datetime, language: str, zone: str
) -> bytes:
    t = catalog(language)
    docs = export_field_docs()
    lines = [
        f"# {t.raw('export.heading')}",
        "",
        t.raw("export.intro").format(when=format_local_datetime(now, zone, language, now=None)),
    ]
    for table, table_rows in rows.items():
        table_docs = docs.get(table, {})
        title = table_docs.get("_title", {}).get(language, table)
        lines += ["", f"## {title} ({len(table_rows)})"]
        if not table_rows:
            lines += ["", t.raw("export.none")]
        for number, row in enumerate(table_rows, 1):
            lines += ["", f"### {number}"]
            for field, value in row.items():
                if isinstance(value, datetime):
                    shown = format_local_datetime(value, zone, language, now=None)
                else:
                    shown = "—" if value is None else str(_plain(value, language))
                label = table_docs.get(field, {}).get(language, field)
                shown = shown.replace("\n", "\n  ")
                lines.append(f"- **{label}** (`{field}`): {shown}")
    return ("\n".join(lines) + "\n").encode("utf-8")


async def export_member(runtime: Runtime, who: Identity) -> MemberExport | None:
    """Everything stored about the member, or None if nothing is."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id)
        if user is None:
            return None
        rows = await member_rows(session, user.id)
        language, zone = user.language, user.timezone or "UTC"
    return MemberExport(
        language=language,
        json_bytes=_as_json(rows, now, language),
        markdown_bytes=_as_markdown(rows, now, language, zone),
    )


async def _delete_member_rows(session: AsyncSession, user_id: int) -> None:
    """Every row about the member, children first (not relying on ON DELETE CASCADE)."""
    for table in reversed(member_tables()):
        owner = table.c.id if table.name == User.__tablename__ else table.c.user_id
        await session.execute(delete(table).where(owner == user_id))


async def delete_member(runtime: Runtime, who: Identity) -> str | None:
    """Delete every row about the member in one transaction; return their language.

    None when there was nothing to delete.
    """
    async with runtime.sessions.begin() as session:
        user = await get_user_by_telegram_id(session, who.telegram_id, for_update=True)
        if user is None:
            return None
        language, user_id = user.language, user.id
        await _delete_member_rows(session, user_id)
        session.expunge(user)
        return language


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """How many records of each kind one retention run deleted."""

    members: int = 0
    reflections: int = 0
    commitments: int = 0
    interactions: int = 0
    contacts: int = 0
    drafts: int = 0
    deliveries: int = 0

    @property
    def total(self) -> int:
        """All records deleted (a member counts once, however many rows they had)."""
        return sum(getattr(self, name) for name in self.__slots__)

    def __str__(self) -> str:
        return ", ".join(f"{name} {getattr(self, name)}" for name in self.__slots__)


_RETENTION_STEPS: tuple[tuple[str, Callable[[AsyncSession, datetime], Awaitable[int]]], ...] = (
    ("reflections", retention.delete_reflections),
    ("commitments", retention.delete_closed_commitments),
    ("interactions", retention.delete_interactions),
    # After the commitments: a contact whose last commitment just went may go too.
    ("contacts", retention.delete_quiet_contacts),
    ("drafts", retention.delete_stale_drafts),
    ("deliveries", retention.delete_delivery_history),
)


async def apply_retention(runtime: Runtime) -> RetentionReport:
    """Delete what is older than the retention period (`NETCOACH_RETENTION_DAYS`).

    Members blocked for longer than the period go entirely, as with /delete; of the
    others: reflections, closed commitments, ledger entries with their notes, contacts
    no longer followed with their history, unfinished flows, and delivery history
    (`storage.retention` says what each keeps). Nothing happens while retention is off.
    One transaction per kind, so the write lock is never held for long.
    """
    days = runtime.settings.retention_days
    if days is None:
        return RetentionReport()
    cutoff = runtime.clock.now() - timedelta(days=days)
    async with runtime.sessions() as session:
        gone = await retention.long_blocked_member_ids(session, cutoff)
    members = 0
    for user_id in gone:
        async with runtime.sessions.begin() as session:
            # They may have come back since the look-up.
            if await retention.still_long_blocked(session, user_id, cutoff):
                await _delete_member_rows(session, user_id)
                members += 1
    counts = {"members": members}
    for kind, step in _RETENTION_STEPS:
        async with runtime.sessions.begin() as session:
            counts[kind] = await step(session, cutoff)
    return RetentionReport(**counts)
