"""Networks: which network's invite link (t.me/<bot>?start=<code>) brought a member.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `users.network`, empty for everyone who came without a network's link."""
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("network", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop `users.network`."""
    with op.batch_alter_table("users") as users:
        users.drop_column("network")
