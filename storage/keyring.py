"""Which columns hold encrypted free text, and re-encrypting all of them under a new key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.crypto import FieldCipher
from storage.encrypted import EncryptedText, reencrypt_column
from storage.models import Base

__all__ = ["BLIND_INDEX_OF", "EncryptedTable", "encrypted_tables", "rotate_keys"]

# Put `info={BLIND_INDEX_OF: "name"}` on a blind-index column to have rotation renew it.
BLIND_INDEX_OF = "blind_index_of"


@dataclass(frozen=True, slots=True)
class EncryptedTable:
    """A table with encrypted text columns (and the blind indexes derived from them)."""

    table: Table
    columns: tuple[str, ...]
    blind_indexes: dict[str, str]
    primary_key: str


def encrypted_tables(metadata: MetaData = Base.metadata) -> list[EncryptedTable]:
    """Every table that holds encrypted text, found from the column types."""
    found = []
    for table in metadata.sorted_tables:
        columns = tuple(c.name for c in table.columns if isinstance(c.type, EncryptedText))
        if not columns:
            continue
        indexes = {
            c.name: c.info[BLIND_INDEX_OF] for c in table.columns if BLIND_INDEX_OF in c.info
        }
        (primary_key,) = (c.name for c in table.primary_key.columns)
        found.append(EncryptedTable(table, columns, indexes, primary_key))
    return found


async def rotate_keys(
    sessions: async_sessionmaker[AsyncSession],
    *,
    old: FieldCipher | None,
    new: FieldCipher,
    batch_size: int = 500,
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """Re-encrypt every encrypted column under `new`; resumable, returns rows changed.

    `old` None encrypts text that was stored before any key was set.
    """
    changed = 0
    for entry in encrypted_tables():
        name = entry.table.name

        def report(done: int, total: int, name: str = name) -> None:
            if progress is not None:
                progress(name, done, total)

        changed += await reencrypt_column(
            sessions,
            entry.table,
            entry.columns,
            entry.primary_key,
            old=old,
            new=new,
            batch_size=batch_size,
            progress=report,
            blind_indexes=entry.blind_indexes or None,
        )
    return changed
