"""Users with their weekly slot, and conversation state per user.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create `users` and `conversation_states`."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("slot_weekday", sa.Integer(), nullable=True),
        sa.Column("slot_minute", sa.Integer(), nullable=True),
        sa.Column("next_prompt_at", UTC_DATETIME, nullable=True),
        sa.Column(
            "status",
            sa.Enum("active", "paused", "blocked", name="userstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("paused_until", UTC_DATETIME, nullable=True),
        sa.Column("onboarded_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_users_telegram_id")),
    )
    op.create_index(op.f("ix_users_next_prompt_at"), "users", ["next_prompt_at"])
    op.create_table(
        "conversation_states",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_conversation_states_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_conversation_states")),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("conversation_states")
    op.drop_index(op.f("ix_users_next_prompt_at"), table_name="users")
    op.drop_table("users")
