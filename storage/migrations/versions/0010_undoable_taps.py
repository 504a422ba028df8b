"""The member's last Done / Release / Snooze / ledger tap, kept a few minutes for an undo.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `undoable_taps`: one row per member, what the tap changed as it was before."""
    op.create_table(
        "undoable_taps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=True),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_undoable_taps_commitment_id_commitments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_undoable_taps_interaction_id_interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_undoable_taps_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undoable_taps")),
        sa.UniqueConstraint("user_id", name=op.f("uq_undoable_taps_user_id")),
    )
    op.create_index(op.f("ix_undoable_taps_commitment_id"), "undoable_taps", ["commitment_id"])
    op.create_index(op.f("ix_undoable_taps_interaction_id"), "undoable_taps", ["interaction_id"])


def downgrade() -> None:
    """Drop the table."""
    op.drop_table("undoable_taps")
