"""The tables, as typed SQLAlchemy 2 models."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    MetaData,
    SmallInteger,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.encrypted import BLIND_INDEX_OF, OWNER_COLUMN, encrypted_json, encrypted_text
from storage.types import UTCDateTime, utc_datetime

__all__ = [
    "COMMITMENT_ROWS",
    "CONTACT_ROWS",
    "MEMBER_ROWS",
    "AskedQuestion",
    "Base",
    "Broadcast",
    "CeilingShare",
    "Commitment",
    "CommitmentStatus",
    "Contact",
    "ConversationState",
    "Delivery",
    "DeliveryKind",
    "DeliveryStatus",
    "Exchange",
    "Interaction",
    "Reflection",
    "ReviewPlacement",
    "User",
    "UserStatus",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
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


def _enum(kind: type[enum.StrEnum]) -> Enum:
    """Enums stored as their string values (a VARCHAR with a CHECK-free, portable type)."""
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class UserStatus(enum.StrEnum):
    """Whether the bot may write to a member."""

    ACTIVE = "active"
    PAUSED = "paused"
    BLOCKED = "blocked"


class ReviewPlacement(enum.StrEnum):
    """Where the weekly review goes: inside the prompt, or as a message right before it."""

    INLINE = "inline"
    SEPARATE = "separate"


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
    status: Mapped[UserStatus] = mapped_column(_enum(UserStatus), default=UserStatus.ACTIVE)
    paused_until: Mapped[datetime | None]
    onboarded_at: Mapped[datetime | None]
    review_placement: Mapped[ReviewPlacement] = mapped_column(
        _enum(ReviewPlacement), default=ReviewPlacement.INLINE
    )
    # The network whose invite link brought the member (one of NETCOACH_NETWORKS), if any.
    network: Mapped[str | None] = mapped_column(String(64))
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
    # The draft (e.g. a commitment's who and what), encrypted like every text typed.
    data: Mapped[encrypted_json]
    updated_at: Mapped[utc_datetime]


class DeliveryKind(enum.StrEnum):
    """What a delivery carries."""

    PROMPT = "prompt"  # the weekly prompt at the member's slot
    EXTRA = "extra"  # a prompt asked for with /next
    FOLLOWUP = "followup"  # a commitment fell due
    REMINDER = "reminder"  # the one repeat of an unanswered follow-up
    CHECKIN = "checkin"  # a contact's stay-in-touch cadence has passed
    BROADCAST = "broadcast"  # a message from the operator to every active member


class DeliveryStatus(enum.StrEnum):
    """Where a delivery stands; `pending` and `sending` rows are the dispatcher's work."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


# Which deliveries each unique index covers (see `Delivery`); ON CONFLICT names them too.
MEMBER_ROWS = text("commitment_id IS NULL AND contact_id IS NULL")
COMMITMENT_ROWS = text("commitment_id IS NOT NULL")
CONTACT_ROWS = text("contact_id IS NOT NULL")


class Delivery(Base):
    """One message the bot owes a member, unique per what it is about, kind and slot.

    A prompt or broadcast is about the member, a follow-up about its commitment, a
    check-in about its contact: any number of those due at one moment fit. The row is
    committed before the send and marked sent after it. `due_at` is when the dispatcher
    may (re)try it: the slot (or a little later, see `followups.SPACING`) for a pending
    row, the end of the lease for a row being sent, so a crashed send is retried once its
    lease runs out.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_status_due_at", "status", "due_at"),
        Index(
            "ux_deliveries_member_slot",
            "user_id",
            "kind",
            "slot_at",
            unique=True,
            sqlite_where=MEMBER_ROWS,
            postgresql_where=MEMBER_ROWS,
        ),
        Index(
            "ux_deliveries_commitment_slot",
            "commitment_id",
            "kind",
            "slot_at",
            unique=True,
            sqlite_where=COMMITMENT_ROWS,
            postgresql_where=COMMITMENT_ROWS,
        ),
        Index(
            "ux_deliveries_contact_slot",
            "contact_id",
            "kind",
            "slot_at",
            unique=True,
            sqlite_where=CONTACT_ROWS,
            postgresql_where=CONTACT_ROWS,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DeliveryKind] = mapped_column(_enum(DeliveryKind))
    slot_at: Mapped[utc_datetime]
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus))
    due_at: Mapped[utc_datetime]
    # Leases that ended without a known outcome or with a fault of the row itself; the
    # delivery is given up after a few (Telegram being unreachable does not count).
    attempts: Mapped[int] = mapped_column(default=0)
    # Why the last try did not go through: a stage and an exception type, never text.
    last_error: Mapped[str | None] = mapped_column(String(64))
    # A send timed out after Telegram may have had it: it is tried once more at most.
    maybe_sent: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Tries lost to Telegram being unreachable (5xx, no connection): only for the pause.
    retries: Mapped[int] = mapped_column(default=0, server_default="0")
    # The lead-in (the weekly review as its own message) went, or may have: not sent again.
    lead_in_sent: Mapped[bool] = mapped_column(default=False, server_default=false())
    card_key: Mapped[str | None] = mapped_column(String(64))
    question_index: Mapped[int | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None]
    skipped_at: Mapped[datetime | None]
    created_at: Mapped[utc_datetime]
    # Follow-ups name their commitment, check-ins their contact; prompts neither.
    commitment_id: Mapped[int | None] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    # Broadcasts name the operator's message.
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )


class AskedQuestion(Base):
    """When a member was last asked one question of one card: the rotation's memory.

    One row per member, card and question, so it never grows beyond the curriculum's
    questions, however many prompts and "another question" presses a year brings; it
    outlives the delivery rows retention deletes. No member's words: a card key, a
    question's number and a moment.
    """

    __tablename__ = "asked_questions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    card_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    question_index: Mapped[int] = mapped_column(primary_key=True)
    asked_at: Mapped[utc_datetime]


class Broadcast(Base):
    """A message an admin sent to every active member (operator content, not member data)."""

    __tablename__ = "broadcasts"
    # The text is sealed to the admin who wrote it (there is no member row to own it).
    __table_args__ = ({"info": {OWNER_COLUMN: "sent_by"}},)

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[encrypted_text]
    sent_by: Mapped[int] = mapped_column(BigInteger)
    recipients: Mapped[int]
    created_at: Mapped[utc_datetime]


class Reflection(Base):
    """What a member wrote in answer to a prompt."""

    __tablename__ = "reflections"
    __table_args__ = (
        Index("ix_reflections_user_id_created_at", "user_id", "created_at"),
        Index("ix_reflections_user_id_telegram_message_id", "user_id", "telegram_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), index=True
    )
    card_key: Mapped[str] = mapped_column(String(64))
    question_index: Mapped[int | None]
    text: Mapped[encrypted_text]
    created_at: Mapped[utc_datetime]
    # The member's own message (None for `/reflect` answers kept before 0.2 and imports):
    # editing it in Telegram edits the reflection.
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Which receipt answered it (`bot.domain.reflection_answers`): the next one differs.
    receipt: Mapped[int | None] = mapped_column(SmallInteger)


class Contact(Base):
    """A person a member looks after; the name is encrypted, `name_key` finds it again.

    `next_checkin_at` is set only while a stay-in-touch cadence is running, so the
    dispatcher finds due check-ins by a range scan on its index.
    """

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("user_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[encrypted_text]
    name_key: Mapped[str] = mapped_column(String(64), info={BLIND_INDEX_OF: "name"})
    cadence_days: Mapped[int | None]
    last_interaction_at: Mapped[datetime | None]
    next_checkin_at: Mapped[datetime | None] = mapped_column(index=True)
    checkin_pings: Mapped[int] = mapped_column(default=0)
    balance_noted_at: Mapped[datetime | None]
    created_at: Mapped[utc_datetime]


class CommitmentStatus(enum.StrEnum):
    """Where a commitment stands."""

    OPEN = "open"
    DONE = "done"
    RELEASED = "released"


class Commitment(Base):
    """Something concrete a member promised to do for a contact, by a due moment.

    `followup_at` is when the dispatcher should next ask about it (None: nothing to
    ask); `pings` counts follow-ups sent for the current due moment (at most two).
    `on_time` is the verdict so far: kept or renegotiated in time (True), late
    (False), or not decided / released (None).
    """

    __tablename__ = "commitments"
    __table_args__ = (Index("ix_commitments_user_id_status", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    card_key: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[encrypted_text]
    status: Mapped[CommitmentStatus] = mapped_column(_enum(CommitmentStatus))
    due_at: Mapped[utc_datetime]
    followup_at: Mapped[datetime | None] = mapped_column(index=True)
    pings: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[bool | None]
    renegotiations: Mapped[int] = mapped_column(default=0)
    renegotiated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[utc_datetime]


class Exchange(enum.StrEnum):
    """Who gave what in an interaction, as the member recorded it."""

    GAVE = "gave"
    RECEIVED = "received"
    BOTH = "both"


class Interaction(Base):
    """A logged contact with someone: a kept commitment, `/met`, a check-in answered.

    It is also the reciprocity ledger: `exchange` is filled by one optional tap.
    """

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_contact_id_created_at", "contact_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    commitment_id: Mapped[int | None] = mapped_column(
        ForeignKey("commitments.id", ondelete="SET NULL"), index=True
    )
    exchange: Mapped[Exchange | None] = mapped_column(_enum(Exchange))
    note: Mapped[encrypted_text | None]
    created_at: Mapped[utc_datetime]


class UndoableTap(Base):
    """The member's last Done / Release / Snooze / ledger tap, undoable for a few minutes.

    One row per member: a new tap replaces it. `before` holds the columns the tap changed,
    as they were (moments, counts, states; never a text), per row it changed;
    `interaction_id` is the interaction the tap logged or filled in.
    """

    __tablename__ = "undoable_taps"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    action: Mapped[str] = mapped_column(String(16))
    commitment_id: Mapped[int | None] = mapped_column(
        ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), index=True
    )
    before: Mapped[dict[str, Any]]
    created_at: Mapped[utc_datetime]


class CeilingShare(Base):
    """One process's share of one of Telegram's ceilings for the whole bot, for a short lease.

    Processes on one database together never hold more than the ceiling: `held` is what
    the process may send in any second until `expires_at` (the database's clock). What
    its sends take up of a second from some moment on is at least `reserved`, and at
    most `staying` (sends that count a whole second more, such as those in flight) plus
    those of its counted sends that are still in the window then: `leaving` counts them
    by the step (`bot.domain.ceiling_shares.LEAVING_STEP` after `renewed_at`) in which
    they leave it. `demand` is what it would use (messages of the last second and
    waiting ones). A process that stops renewing has its share back in the pool a
    little after its lease (see `bot.domain.ceiling_shares`).
    """

    __tablename__ = "ceiling_shares"

    holder: Mapped[str] = mapped_column(String(96), primary_key=True)
    ceiling: Mapped[str] = mapped_column(String(16), primary_key=True)
    held: Mapped[int]
    reserved: Mapped[int]
    staying: Mapped[int]
    leaving: Mapped[list[int]] = mapped_column(JSON())
    demand: Mapped[int]
    renewed_at: Mapped[utc_datetime]
    expires_at: Mapped[utc_datetime]
