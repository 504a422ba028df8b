"""Reflections remember which receipt answered them, so the next answer differs.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `reflections.receipt` (empty for earlier notes)."""
    with op.batch_alter_table("reflections") as reflections:
        reflections.add_column(sa.Column("receipt", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("reflections") as reflections:
        reflections.drop_column("receipt")
