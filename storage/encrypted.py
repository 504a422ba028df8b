"""Encrypted columns: members' words sealed to their table, column, owner and row.

A column typed `EncryptedText` (or `EncryptedJSON`, for drafts) is written and read
through the ORM, which knows each row: before an INSERT or UPDATE the new value is
wrapped with its `Binding` and the column type encrypts it with the process-wide cipher
(`storage.crypto.configure_cipher`); when a row is loaded the value is decrypted in the
instance's `load` event. A row whose primary key the database assigns is inserted with
an empty placeholder and sealed by an UPDATE right after, in the same transaction, so
the row id is part of the seal and plain text never reaches the database.

A value that cannot be decrypted (removed key, tampering, a token moved from another
row or member) does not fail the query: the attribute holds an `UnreadableText` (an
empty string) or `UnreadableData` (an empty dict) that screens show as "can't be read";
it is logged without any text and reported to the sessions' listeners (metrics).

Writing such a column outside the ORM (a Core ``insert``/``update`` with a plain str)
is refused with `TypeError`, so nothing slips past the seal; column-only SELECTs return
the stored form (`open_row` opens Core rows).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from sqlalchemy import JSON, Table, Text, event, update
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Mapper, Session, attributes, mapped_column
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from storage.crypto import (
    Binding,
    DecryptionError,
    FieldCipher,
    current_cipher,
    from_stored,
    to_stored,
    token_key_id,
)
from storage.unreadable import (
    UnreadableData,
    UnreadableReport,
    UnreadableText,
    is_unreadable,
    report_unreadable,
)

__all__ = [
    "BLIND_INDEX_OF",
    "OWNER_COLUMN",
    "EncryptedJSON",
    "EncryptedText",
    "SealedTable",
    "data_from_text",
    "data_to_text",
    "encrypted_json",
    "encrypted_text",
    "open_row",
    "open_value",
    "sealed_table",
]

# `Table.info` key naming the owner column when it is not `user_id`.
OWNER_COLUMN = "owner_column"
# Put `info={BLIND_INDEX_OF: "name"}` on a blind-index column to have rotation renew it.
BLIND_INDEX_OF = "blind_index_of"
# What an autoincremented row holds between its INSERT and the UPDATE that seals it.
_PLACEHOLDER = ""
_WRITE_HELP = (
    "encrypted columns are written through the ORM (which binds each value to its row); "
    "a Core insert or update cannot seal a plain value"
)

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


class _PendingText(str):
    """A text on its way into the database, with the place it is sealed to."""

    binding: Binding

    def __new__(cls, text: str, binding: Binding) -> _PendingText:
        made = super().__new__(cls, text)
        made.binding = binding
        return made


class _PendingData(dict[str, Any]):
    """A draft on its way into the database, with the place it is sealed to."""

    def __init__(self, data: Mapping[str, Any], binding: Binding) -> None:
        super().__init__(data)
        self.binding = binding


def data_to_text(data: Mapping[str, Any]) -> str:
    """The text a draft is encrypted as (compact JSON)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def data_from_text(text: str) -> dict[str, Any]:
    """A draft back from its decrypted text.

    Raises:
        DecryptionError: the text is not a JSON object (never written by us).
    """
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise DecryptionError("draft is not a JSON object", reason="malformed")
    return data


def _refuse_comparison(op: Any, other: Sequence[Any]) -> None:
    if op in _UNSEARCHABLE and not (op in (operators.eq, operators.ne) and other == (None,)):
        raise TypeError(
            "encrypted columns cannot be compared in SQL; match in Python or use a blind index"
        )


class EncryptedText(TypeDecorator[str]):
    """Text encrypted at rest, bound to its row: see the module's docstring.

    Such columns cannot be searched, compared or sorted in SQL: filtering with ``==``,
    ``LIKE``, ``IN`` and the like raises `TypeError` (``IS NULL`` is fine). Match in
    Python after loading, or store a `storage.crypto.blind_index` of the value in a
    column of its own and look that up.
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
        """Seal a value the ORM bound to its row; refuse anything else."""
        if value is None:
            return None
        if not isinstance(value, _PendingText):
            raise TypeError(_WRITE_HELP)
        if value.binding.row is None:
            return _PLACEHOLDER
        return to_stored(str(value), current_cipher(), value.binding)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        """The stored form; the ORM's load event opens it (it knows the row)."""
        return value


class EncryptedJSON(TypeDecorator[dict[str, Any]]):
    """A JSON object encrypted at rest as one token (a JSON string), bound to its row.

    Without a key it is stored as a plain JSON object, as before keys existed.
    """

    impl = JSON
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator[dict[str, Any]]):
        """Refuses SQL comparisons on ciphertext."""

        def operate(self, op: Any, *other: Any, **kwargs: Any) -> ColumnElement[Any]:
            """Allow everything but value comparisons (NULL checks stay allowed)."""
            _refuse_comparison(op, other)
            return super().operate(op, *other, **kwargs)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Seal a draft the ORM bound to its row; refuse anything else."""
        if value is None:
            return None
        if not isinstance(value, _PendingData):
            raise TypeError(_WRITE_HELP)
        if value.binding.row is None:
            return {}
        cipher = current_cipher()
        if cipher is None:
            return dict(value)
        return cipher.encrypt(data_to_text(value), value.binding)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        """The stored form; the ORM's load event opens it (it knows the row)."""
        return value


encrypted_text = Annotated[str, mapped_column(EncryptedText())]
encrypted_json = Annotated[dict[str, Any], mapped_column(EncryptedJSON())]


@dataclass(frozen=True, slots=True)
class SealedTable:
    """A table with encrypted columns: which, whose, which row, and their blind indexes."""

    table: Table
    columns: tuple[str, ...]
    owner: str
    primary_key: str
    # Blind-index column -> the encrypted column it indexes.
    blind_indexes: Mapping[str, str]

    def binding(self, column: str, owner: Any, row: Any) -> Binding:
        """The place of `column` in the row `row` of `owner`."""
        return Binding(self.table.name, column, owner, row)

    def is_json(self, column: str) -> bool:
        """Whether the column holds a draft (a JSON object) rather than a text."""
        return isinstance(self.table.c[column].type, EncryptedJSON)


_sealed_tables: dict[Table, SealedTable | None] = {}


def sealed_table(table: Table) -> SealedTable | None:
    """The encrypted columns of `table` and where their owner and row come from."""
    if table in _sealed_tables:
        return _sealed_tables[table]
    columns = tuple(
        c.name for c in table.columns if isinstance(c.type, EncryptedText | EncryptedJSON)
    )
    found = None
    if columns:
        owner = table.info.get(OWNER_COLUMN, "user_id")
        if owner not in table.c:
            raise TypeError(f"{table.name} has encrypted columns but no owner column {owner!r}")
        keys = [c.name for c in table.primary_key.columns]
        if len(keys) != 1:
            raise TypeError(f"{table.name} has encrypted columns but no single-column key")
        indexes = {
            c.name: c.info[BLIND_INDEX_OF] for c in table.columns if BLIND_INDEX_OF in c.info
        }
        found = SealedTable(table, columns, owner, keys[0], indexes)
    _sealed_tables[table] = found
    return found


# --- reading ---------------------------------------------------------------------------


def open_value(
    spec: SealedTable,
    column: str,
    owner: Any,
    row: Any,
    stored: Any,
    *,
    cipher: FieldCipher | None = None,
    session: Session | None = None,
) -> Any:
    """The plain value behind `stored` in this place; an unreadable one is reported.

    `cipher` defaults to the process-wide one.
    """
    cipher = cipher if cipher is not None else current_cipher()
    binding = spec.binding(column, owner, row)
    json_column = spec.is_json(column)
    try:
        if json_column:
            if isinstance(stored, dict):  # written without a key
                return stored
            return data_from_text(from_stored(str(stored), cipher, binding))
        return from_stored(stored, cipher, binding)
    except DecryptionError as problem:
        key_id = token_key_id(stored) if isinstance(stored, str) else None
        report_unreadable(
            session,
            UnreadableReport(spec.table.name, column, row, owner, key_id, problem.reason),
        )
        return UnreadableData(problem.reason) if json_column else UnreadableText(problem.reason)


def open_row(
    table: Table, values: Mapping[Any, Any], *, session: Session | None = None
) -> dict[str, Any]:
    """A Core row of `table` with its encrypted columns opened (for export and tools)."""
    opened = dict(values)
    spec = sealed_table(table)
    if spec is None:
        return opened
    owner, row = values[spec.owner], values[spec.primary_key]
    for column in spec.columns:
        if opened.get(column) is not None:
            opened[column] = open_value(spec, column, owner, row, opened[column], session=session)
    return opened


# --- the ORM side ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _MapperSeal:
    spec: SealedTable
    # (attribute key, column name) of each encrypted column.
    attributes: tuple[tuple[str, str], ...]
    owner_attribute: str
    row_attribute: str


_mapper_seals: dict[Mapper[Any], _MapperSeal | None] = {}


def _seal_of(mapper: Mapper[Any]) -> _MapperSeal | None:
    if mapper in _mapper_seals:
        return _mapper_seals[mapper]
    table = mapper.local_table
    spec = sealed_table(table) if isinstance(table, Table) else None
    seal = None
    if spec is not None:

        def key_of(column: str) -> str:
            return mapper.get_property_by_column(spec.table.c[column]).key

        seal = _MapperSeal(
            spec,
            tuple((key_of(column), column) for column in spec.columns),
            key_of(spec.owner),
            key_of(spec.primary_key),
        )
    _mapper_seals[mapper] = seal
    return seal


def _pending(seal: _MapperSeal, column: str, value: Any, owner: Any, row: Any) -> Any:
    if is_unreadable(value):
        raise ValueError(f"an unreadable value cannot be written back to {column}")
    binding = seal.spec.binding(column, owner, row)
    if seal.spec.is_json(column):
        return _PendingData(value, binding)
    return _PendingText(value, binding)


def _owner(seal: _MapperSeal, target: Any) -> Any:
    owner = getattr(target, seal.owner_attribute)
    if owner is None:
        raise ValueError(f"a {seal.spec.table.name} row needs its {seal.spec.owner} to be sealed")
    return owner


@event.listens_for(Mapper, "before_insert")
def _seal_before_insert(mapper: Mapper[Any], _connection: Connection, target: Any) -> None:
    seal = _seal_of(mapper)
    if seal is None:
        return
    owner, row = _owner(seal, target), getattr(target, seal.row_attribute)
    if row is None and current_cipher() is None:
        row = ""  # stored plain: the row's id is not needed, so no sealing UPDATE either
    for key, column in seal.attributes:
        value = getattr(target, key)
        if value is not None:
            setattr(target, key, _pending(seal, column, value, owner, row))


@event.listens_for(Mapper, "after_insert")
def _seal_after_insert(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    seal = _seal_of(mapper)
    if seal is None:
        return
    owner, row = _owner(seal, target), getattr(target, seal.row_attribute)
    late: dict[str, Any] = {}
    for key, column in seal.attributes:
        value = getattr(target, key)
        if value is None:
            continue
        pending_row = value.binding.row if isinstance(value, _PendingText | _PendingData) else row
        if pending_row is None:
            late[column] = _pending(seal, column, value, owner, row)
        attributes.set_committed_value(target, key, _plain(value))
    if late:
        table = seal.spec.table
        connection.execute(update(table).where(table.c[seal.spec.primary_key] == row).values(late))


@event.listens_for(Mapper, "before_update")
def _seal_before_update(mapper: Mapper[Any], _connection: Connection, target: Any) -> None:
    seal = _seal_of(mapper)
    if seal is None:
        return
    owner, row = _owner(seal, target), getattr(target, seal.row_attribute)
    for key, column in seal.attributes:
        history = attributes.get_history(target, key)
        if history.added and history.added[0] is not None:
            setattr(target, key, _pending(seal, column, history.added[0], owner, row))


@event.listens_for(Mapper, "after_update")
def _unwrap_after_update(mapper: Mapper[Any], _connection: Connection, target: Any) -> None:
    seal = _seal_of(mapper)
    if seal is None:
        return
    state = attributes.instance_dict(target)
    for key, _column in seal.attributes:
        value = state.get(key)
        if isinstance(value, _PendingText | _PendingData):
            attributes.set_committed_value(target, key, _plain(value))


def _plain(value: Any) -> Any:
    if isinstance(value, _PendingText):
        return str(value)
    if isinstance(value, _PendingData):
        return dict(value)
    return value


def _open_loaded(target: Any, session: Session | None, keys: set[str] | None) -> None:
    seal = _seal_of(attributes.instance_state(target).mapper)
    if seal is None:
        return
    state = attributes.instance_dict(target)
    owner, row = state.get(seal.owner_attribute), state.get(seal.row_attribute)
    for key, column in seal.attributes:
        if keys is not None and key not in keys:
            continue
        stored = state.get(key)
        if stored is None:
            continue
        opened = open_value(seal.spec, column, owner, row, stored, session=session)
        attributes.set_committed_value(target, key, opened)


@event.listens_for(Mapper, "load")
def _open_on_load(target: Any, context: Any) -> None:
    _open_loaded(target, getattr(context, "session", None), None)


@event.listens_for(Mapper, "refresh")
def _open_on_refresh(target: Any, context: Any, keys: Any) -> None:
    _open_loaded(target, getattr(context, "session", None), None if keys is None else set(keys))
