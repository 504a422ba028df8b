"""Shares of Telegram's ceilings, held by the processes that send for one bot.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `ceiling_shares`."""
    op.create_table(
        "ceiling_shares",
        sa.Column("holder", sa.String(length=96), nullable=False),
        sa.Column("ceiling", sa.String(length=16), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("staying", sa.Integer(), nullable=False),
        sa.Column("leaving", sa.JSON(), nullable=False),
        sa.Column("demand", sa.Integer(), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("holder", "ceiling", name=op.f("pk_ceiling_shares")),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("ceiling_shares")
