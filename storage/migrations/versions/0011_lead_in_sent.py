"""Whether a delivery's lead-in (the weekly review as a message of its own) went out.

Set once Telegram took it, or may have (a timeout): a delivery tried again in a later
lease sends its lead-in no more, so the member gets it once.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add `deliveries.lead_in_sent`."""
    with op.batch_alter_table("deliveries") as deliveries:
        deliveries.add_column(
            sa.Column("lead_in_sent", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("deliveries") as deliveries:
        deliveries.drop_column("lead_in_sent")
