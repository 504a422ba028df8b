"""Broadcasts from the operator, and the deliveries that carry them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `broadcasts` and point deliveries at them."""
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_by", sa.BigInteger(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    # Batch mode: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("broadcast_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_deliveries_broadcast_id_broadcasts"),
            "broadcasts",
            ["broadcast_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(op.f("ix_deliveries_broadcast_id"), ["broadcast_id"])


def downgrade() -> None:
    """Drop the link and the table."""
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index(op.f("ix_deliveries_broadcast_id"))
        batch.drop_constraint(op.f("fk_deliveries_broadcast_id_broadcasts"), type_="foreignkey")
        batch.drop_column("broadcast_id")
    op.drop_table("broadcasts")
