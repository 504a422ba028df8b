"""Which questions each member was asked, and when last: a year of prompts without repeats.

One row per member, card and question. Filled from the prompts sent so far (a question
counts as asked when its prompt was not cancelled or given up), so no member is asked
again what they were asked before the upgrade.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `asked_questions` and fill it from the prompt deliveries."""
    op.create_table(
        "asked_questions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("card_key", sa.String(length=64), nullable=False),
        sa.Column("question_index", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_asked_questions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "card_key", "question_index", name=op.f("pk_asked_questions")
        ),
    )
    op.execute(
        """
        INSERT INTO asked_questions (user_id, card_key, question_index, asked_at)
        SELECT user_id, card_key, question_index, MAX(slot_at)
        FROM deliveries
        WHERE kind IN ('prompt', 'extra')
          AND card_key IS NOT NULL
          AND question_index IS NOT NULL
          AND question_index >= 0
          AND status NOT IN ('cancelled', 'failed')
        GROUP BY user_id, card_key, question_index
        """
    )


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("asked_questions")
