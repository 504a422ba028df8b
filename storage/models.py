"""The tables, as typed SQLAlchemy 2 models."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Enum, ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime, utc_datetime

__all__ = ["Base", "ConversationState", "User", "UserStatus"]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class UserStatus(enum.StrEnum):
    """Whether the bot may write to a member."""

    ACTIVE = "active"
    PAUSED = "paused"
    BLOCKED = "blocked"


class User(Base):
    """A member: who they are on Telegram and when they want their weekly prompt.

    `next_prompt_at` is set only while the member is active and has a complete
    schedule, so the dispatcher's due query is a plain range scan on its index.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    slot_weekday: Mapped[int | None]
    slot_minute: Mapped[int | None]
    next_prompt_at: Mapped[datetime | None] = mapped_column(index=True)
    status: Mapped[UserStatus] = mapped_column(
        Enum(
            UserStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        ),
        default=UserStatus.ACTIVE,
    )
    paused_until: Mapped[datetime | None]
    onboarded_at: Mapped[datetime | None]
    created_at: Mapped[utc_datetime]
    updated_at: Mapped[utc_datetime]


class ConversationState(Base):
    """Where a member is in a guided flow, so a restart loses nothing."""

    __tablename__ = "conversation_states"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[utc_datetime]
