"""The key ring against stored data: re-encrypting everything, and checking a ring reads it.

`rotate_keys` rewrites every stored text that is not yet a bound token under the ring's
primary key (plain text, ``enc1`` tokens, tokens under older keys), with its blind
indexes, in committed batches: an interrupted run is simply started again. The bot may
keep running meanwhile, reading with every key of its ring. `sample_key_ring` tells at
start-up whether a ring reads the texts stored so far.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    MetaData,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from storage.crypto import (
    TOKEN_PREFIX,
    DecryptionError,
    FieldCipher,
    from_stored,
    is_encrypted,
    token_key_id,
)
from storage.encrypted import SealedTable, data_from_text, data_to_text, sealed_table
from storage.models import Base
from storage.unreadable import UnreadableReport

__all__ = [
    "KeySample",
    "RotationResult",
    "encrypted_tables",
    "reencrypt_table",
    "rotate_keys",
    "sample_key_ring",
]


def encrypted_tables(metadata: MetaData = Base.metadata) -> list[SealedTable]:
    """Every table that holds encrypted text, found from the column types."""
    return [spec for table in metadata.sorted_tables if (spec := sealed_table(table)) is not None]


@dataclass
class RotationResult:
    """What a rotation did: values rewritten, duplicates merged, values it could not read."""

    changed: int = 0
    merged: int = 0
    unreadable: list[UnreadableReport] = field(default_factory=list)

    def add(self, other: RotationResult) -> None:
        """Count `other` in."""
        self.changed += other.changed
        self.merged += other.merged
        self.unreadable += other.unreadable


def _raw_table(spec: SealedTable) -> Table:
    """The table as stored: tokens as plain text, drafts as plain JSON (no sealing)."""
    source = spec.table
    names = dict.fromkeys((spec.primary_key, spec.owner, *spec.columns, *spec.blind_indexes))
    columns = []
    for name in names:
        if name in spec.columns:
            kind: Any = JSON() if spec.is_json(name) else Text()
        elif name in spec.blind_indexes:
            kind = Text()
        else:
            kind = source.c[name].type
        columns.append(Column(name, kind, primary_key=name == spec.primary_key))
    return Table(source.name, MetaData(), *columns, schema=source.schema)


def _stored_as_text(raw: Table, spec: SealedTable, name: str) -> ColumnElement[Any]:
    # A draft's token is a JSON string: its text form starts with a quote.
    return cast(raw.c[name], Text) if spec.is_json(name) else raw.c[name]


def _current_prefix(spec: SealedTable, name: str, ring: FieldCipher) -> str:
    prefix = f"{TOKEN_PREFIX}{ring.primary_key_id}:"
    return f'"{prefix}' if spec.is_json(name) else prefix


def _open(
    spec: SealedTable, name: str, owner: Any, row: Any, stored: Any, ring: FieldCipher
) -> Any:
    binding = spec.binding(name, owner, row)
    if spec.is_json(name):
        if isinstance(stored, dict):
            return stored
        return data_from_text(from_stored(str(stored), ring, binding))
    return from_stored(stored, ring, binding)


def _seal(spec: SealedTable, name: str, owner: Any, row: Any, plain: Any, ring: FieldCipher) -> str:
    text = data_to_text(plain) if spec.is_json(name) else plain
    return ring.encrypt(text, spec.binding(name, owner, row))


async def reencrypt_table(
    sessions: async_sessionmaker[AsyncSession],
    spec: SealedTable,
    *,
    ring: FieldCipher,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> RotationResult:
    """Rewrite `spec`'s encrypted columns as bound tokens under `ring`'s primary key.

    Rows are taken in primary-key order; rows whose values are all NULL or already
    current are skipped, so an interrupted run can simply be started again. A row
    holding a value no key of `ring` reads is left as it is and reported. Blind indexes
    are renewed in the same update; a contact that turns out to be a second copy of
    another (created under another key before look-ups tried every key) is merged
    into the first: whatever refers to it is moved over, then it is deleted.

    Args:
        sessions: Sessions on the database holding the table.
        spec: The table and its encrypted columns (`encrypted_tables`).
        ring: Every key values may be under; the primary one encrypts.
        batch_size: Rows per transaction.
        progress: Called after each committed batch with (rows done, rows to do).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    raw = _raw_table(spec)
    key, owner_column = raw.c[spec.primary_key], raw.c[spec.owner]
    pending = or_(
        *(
            and_(
                raw.c[name].is_not(None),
                ~_stored_as_text(raw, spec, name).startswith(_current_prefix(spec, name, ring)),
            )
            for name in spec.columns
        )
    )
    written = (*spec.columns, *spec.blind_indexes)
    writer = (
        update(raw)
        .where(key == bindparam("row_key"))
        .values({name: bindparam(f"new_{name}") for name in written})
    )
    async with sessions() as session:
        total = (
            await session.execute(select(func.count()).select_from(raw).where(pending))
        ).scalar_one()
    result = RotationResult()
    done = 0
    last: Any = None
    while True:
        async with sessions.begin() as session:
            query = select(key, owner_column, *(raw.c[name] for name in spec.columns))
            query = query.where(pending if last is None else and_(pending, key > last))
            rows = (
                await session.execute(query.order_by(key).limit(batch_size).with_for_update())
            ).all()
            if not rows:
                return result
            changes = []
            for row in rows:
                change = _reencrypted_row(spec, row, ring, result)
                if change is not None:
                    changes.append(change)
            changes = await _without_duplicates(session, raw, spec, changes, result)
            if changes:
                params = [{k: v for k, v in change.items() if k != "owner"} for change in changes]
                await session.execute(writer, params)
        result.changed += len(changes)
        done += len(rows)
        last = rows[-1][0]
        if progress is not None:
            progress(done, total)


def _reencrypted_row(
    spec: SealedTable, row: Any, ring: FieldCipher, result: RotationResult
) -> dict[str, Any] | None:
    row_key, owner = row[0], row[1]
    change: dict[str, Any] = {"row_key": row_key, "owner": owner}
    plains: dict[str, Any] = {}
    for position, name in enumerate(spec.columns, start=2):
        stored = row[position]
        if stored is None:
            plains[name] = change[f"new_{name}"] = None
            continue
        try:
            plains[name] = _open(spec, name, owner, row_key, stored, ring)
        except DecryptionError as problem:
            key_id = token_key_id(stored) if isinstance(stored, str) else None
            result.unreadable.append(
                UnreadableReport(spec.table.name, name, row_key, owner, key_id, problem.reason)
            )
            return None
        current = isinstance(stored, str) and ring.is_current(stored)
        change[f"new_{name}"] = (
            stored if current else _seal(spec, name, owner, row_key, plains[name], ring)
        )
    for index, source in spec.blind_indexes.items():
        text = plains[source]
        change[f"new_{index}"] = None if text is None else ring.blind_index(text, owner)
    return change


async def _without_duplicates(
    session: AsyncSession,
    raw: Table,
    spec: SealedTable,
    changes: list[dict[str, Any]],
    result: RotationResult,
) -> list[dict[str, Any]]:
    """Merge rows whose renewed blind index another row of the same owner already has."""
    if not spec.blind_indexes or not changes:
        return changes
    key, owner_column = raw.c[spec.primary_key], raw.c[spec.owner]
    for index in spec.blind_indexes:
        wanted = {change[f"new_{index}"] for change in changes} - {None}
        holders = await session.execute(
            select(key, owner_column, raw.c[index]).where(raw.c[index].in_(wanted))
        )
        claimed = {(owner, value): row_key for row_key, owner, value in holders.all()}
        kept = []
        for change in changes:
            value = change[f"new_{index}"]
            holder = claimed.setdefault((change["owner"], value), change["row_key"])
            if value is None or holder == change["row_key"]:
                kept.append(change)
                continue
            await _merge_into(session, spec, duplicate=change["row_key"], survivor=holder)
            result.merged += 1
        changes = kept
    return changes


async def _merge_into(
    session: AsyncSession, spec: SealedTable, *, duplicate: Any, survivor: Any
) -> None:
    """Point everything that refers to `duplicate` at `survivor`, then delete `duplicate`."""
    target = spec.table.c[spec.primary_key]
    for table in spec.table.metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            if foreign_key.column is target:
                referring = foreign_key.parent
                await session.execute(
                    update(table).where(referring == duplicate).values({referring.name: survivor})
                )
    await session.execute(delete(spec.table).where(target == duplicate))


async def rotate_keys(
    sessions: async_sessionmaker[AsyncSession],
    *,
    ring: FieldCipher,
    batch_size: int = 500,
    progress: Callable[[str, int, int], None] | None = None,
) -> RotationResult:
    """Re-encrypt every encrypted column under `ring`'s primary key; resumable.

    Plain text stored before any key was set is encrypted too.
    """
    result = RotationResult()
    for spec in encrypted_tables():
        name = spec.table.name

        def report(done: int, total: int, name: str = name) -> None:
            if progress is not None:
                progress(name, done, total)

        result.add(
            await reencrypt_table(sessions, spec, ring=ring, batch_size=batch_size, progress=report)
        )
    return result


@dataclass(frozen=True, slots=True)
class KeySample:
    """How a key ring fared on the newest stored tokens of every encrypted column."""

    sampled: int
    readable: int
    # Ids of keys that sampled tokens were written with but the ring lacks.
    missing_keys: tuple[str, ...]


async def sample_key_ring(
    sessions: async_sessionmaker[AsyncSession],
    ring: FieldCipher | None,
    *,
    per_column: int = 10,
) -> KeySample:
    """Try to decrypt the newest `per_column` tokens of every encrypted column with `ring`.

    Plain values are not counted: they read with any key or none.
    """
    sampled = readable = 0
    missing: dict[str, None] = {}
    async with sessions() as session:
        for spec in encrypted_tables():
            raw = _raw_table(spec)
            key, owner_column = raw.c[spec.primary_key], raw.c[spec.owner]
            for name in spec.columns:
                query = (
                    select(key, owner_column, raw.c[name])
                    .where(raw.c[name].is_not(None))
                    .order_by(key.desc())
                    .limit(per_column)
                )
                for row_key, owner, stored in (await session.execute(query)).all():
                    if not isinstance(stored, str) or not is_encrypted(stored):
                        continue
                    sampled += 1
                    try:
                        if ring is None:
                            raise DecryptionError("no key", reason="no_key")
                        _open(spec, name, owner, row_key, stored, ring)
                    except DecryptionError:
                        key_id = token_key_id(stored)
                        if key_id is not None and (ring is None or key_id not in ring.key_ids):
                            missing[key_id] = None
                        continue
                    readable += 1
    return KeySample(sampled, readable, tuple(missing))
