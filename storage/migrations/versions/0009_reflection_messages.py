"""Reflections remember the member's message, so editing it in Telegram edits the note.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `reflections.telegram_message_id` (empty for earlier notes) and its index."""
    with op.batch_alter_table("reflections") as reflections:
        reflections.add_column(sa.Column("telegram_message_id", sa.BigInteger(), nullable=True))
        reflections.create_index(
            "ix_reflections_user_id_telegram_message_id", ["user_id", "telegram_message_id"]
        )


def downgrade() -> None:
    """Drop the index and the column."""
    with op.batch_alter_table("reflections") as reflections:
        reflections.drop_index("ix_reflections_user_id_telegram_message_id")
        reflections.drop_column("telegram_message_id")
