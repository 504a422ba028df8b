"""Weekly review: where it goes, inside the weekly prompt or as a message of its own.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `users.review_placement`, inline by default."""
    with op.batch_alter_table("users") as users:
        users.add_column(
            sa.Column(
                "review_placement",
                sa.Enum("inline", "separate", name="reviewplacement", native_enum=False, length=16),
                nullable=False,
                server_default="inline",
            )
        )


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("users") as users:
        users.drop_column("review_placement")
