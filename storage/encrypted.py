"""Encrypted free-text columns and re-encryption of stored values for key rotation."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from sqlalchemy import Column, MetaData, Table, Text, and_, bindparam, func, or_, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import mapped_column
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from storage.crypto import TOKEN_PREFIX, FieldCipher, current_cipher, from_stored, to_stored

__all__ = ["EncryptedText", "encrypted_text", "reencrypt_column"]

# Comparing ciphertext in SQL never matches (every value has a fresh nonce), and would
# silently work in development without a key: refuse it loudly on every setup.
_UNSEARCHABLE = frozenset(
    {
        operators.eq,
        operators.ne,
        operators.lt,
        operators.le,
        operators.gt,
        operators.ge,
        operators.like_op,
        operators.not_like_op,
        operators.ilike_op,
        operators.not_ilike_op,
        operators.in_op,
        operators.not_in_op,
        operators.between_op,
        operators.not_between_op,
        operators.contains_op,
        operators.not_contains_op,
        operators.startswith_op,
        operators.not_startswith_op,
        operators.endswith_op,
        operators.not_endswith_op,
        operators.match_op,
        operators.not_match_op,
        operators.regexp_match_op,
        operators.not_regexp_match_op,
    }
)


class EncryptedText(TypeDecorator[str]):
    """Text encrypted at rest with the process-wide cipher (`storage.crypto.configure_cipher`).

    On write the value is encrypted when a cipher is configured and stored plain
    otherwise; on read tokens are decrypted and plain values pass through, so a key can
    be turned on later. Such columns cannot be searched, compared or sorted in SQL:
    filtering with ``==``, ``LIKE``, ``IN`` and the like raises `TypeError` (``IS NULL``
    is fine). Match in Python after loading, or store a `storage.crypto.blind_index` of
    the value in a column of its own and look that up.
    """

    impl = Text
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator[str]):
        """Refuses SQL comparisons on ciphertext."""

        def operate(self, op: Any, *other: Any, **kwargs: Any) -> ColumnElement[Any]:
            """Allow everything but value comparisons (NULL checks stay allowed)."""
            _refuse_comparison(op, other)
            return super().operate(op, *other, **kwargs)

        def reverse_operate(self, op: Any, other: Any, **kwargs: Any) -> ColumnElement[Any]:
            """As `operate`, for the reflected form (``"x" == column``)."""
            _refuse_comparison(op, (other,))
            return super().reverse_operate(op, other, **kwargs)

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        """Encrypt with the current cipher, or store plain without one."""
        if value is None:
            return None
        return to_stored(value, current_cipher())

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        """Decrypt tokens; plain values pass through."""
        if value is None:
            return None
        return from_stored(value, current_cipher())


def _refuse_comparison(op: Any, other: Sequence[Any]) -> None:
    if op in _UNSEARCHABLE and not (op in (operators.eq, operators.ne) and other == (None,)):
        raise TypeError(
            "encrypted columns cannot be compared in SQL; match in Python or use a blind index"
        )


encrypted_text = Annotated[str, mapped_column(EncryptedText())]


async def reencrypt_column(
    session_factory: async_sessionmaker[AsyncSession],
    table: Table,
    columns: Sequence[str],
    primary_key: str,
    *,
    old: FieldCipher | None,
    new: FieldCipher,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
    blind_indexes: Mapping[str, str] | None = None,
) -> int:
    """Re-encrypt `columns` of `table` under `new`'s primary key, in committed batches.

    Rows are taken in primary-key order; rows whose values are all NULL or already under
    the new primary key are skipped, so an interrupted run can simply be started again.
    Plain values are encrypted; tokens are decrypted with `old` or any key of `new`.
    Values are read and written as stored, bypassing `EncryptedText`.

    Args:
        session_factory: Sessions on the database holding `table`.
        table: The table (e.g. ``Model.__table__``).
        columns: Names of the encrypted text columns to rewrite.
        primary_key: Name of a single-column primary key.
        old: The cipher values may currently be under; None if they are plain.
        new: The cipher to encrypt with (its primary key).
        batch_size: Rows per transaction.
        progress: Called after each committed batch with (rows done, rows to do).
        blind_indexes: Index column name -> text column name; recomputed with `new`
            in the same update, so lookups keep working after rotation.

    Returns:
        The number of rows changed.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    indexes = dict(blind_indexes or {})
    missing = set(indexes.values()) - set(columns)
    if missing:
        raise ValueError(f"blind indexes refer to columns not re-encrypted: {sorted(missing)}")
    reader = new.accepting(old)
    raw = Table(
        table.name,
        MetaData(),
        Column(primary_key, table.c[primary_key].type, primary_key=True),
        *(Column(name, Text) for name in (*columns, *indexes)),
        schema=table.schema,
    )
    key = raw.c[primary_key]
    current_prefix = f"{TOKEN_PREFIX}{new.primary_key_id}:"
    pending = or_(
        *(
            and_(raw.c[name].is_not(None), ~raw.c[name].startswith(current_prefix))
            for name in columns
        )
    )
    writer = (
        update(raw)
        .where(key == bindparam("row_key"))
        .values({name: bindparam(f"new_{name}") for name in (*columns, *indexes)})
    )
    async with session_factory() as session:
        total = (
            await session.execute(select(func.count()).select_from(raw).where(pending))
        ).scalar_one()
    done = 0
    last: Any = None
    while True:
        async with session_factory() as session, session.begin():
            query = select(key, *(raw.c[name] for name in columns)).where(pending)
            if last is not None:
                query = query.where(key > last)
            rows = (
                await session.execute(query.order_by(key).limit(batch_size).with_for_update())
            ).all()
            if not rows:
                return done
            changes = [_reencrypted_row(row, columns, indexes, reader, new) for row in rows]
            await session.execute(writer, changes)
        done += len(rows)
        last = rows[-1][0]
        if progress is not None:
            progress(done, total)


def _reencrypted_row(
    row: Any,
    columns: Sequence[str],
    indexes: Mapping[str, str],
    reader: FieldCipher,
    new: FieldCipher,
) -> dict[str, Any]:
    change: dict[str, Any] = {"row_key": row[0]}
    texts: dict[str, str | None] = {}
    for position, name in enumerate(columns, start=1):
        stored: str | None = row[position]
        if stored is None:
            texts[name] = change[f"new_{name}"] = None
            continue
        plain = texts[name] = from_stored(stored, reader)
        change[f"new_{name}"] = stored if new.is_current(stored) else new.encrypt(plain)
    for index_name, source in indexes.items():
        text = texts[source]
        change[f"new_{index_name}"] = None if text is None else new.blind_index(text)
    return change
