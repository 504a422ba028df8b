"""What a delivery's last try ran into: its reason, whether it may have reached the member.

`last_error` names why the last try did not go through (a stage and an exception type,
never a member's text); `maybe_sent` says a send timed out after Telegram may have had
it, so it is tried once more at most; `retries` counts tries lost to Telegram being
unreachable, for the pause before the next (they never make a delivery give up).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the three columns."""
    with op.batch_alter_table("deliveries") as deliveries:
        deliveries.add_column(sa.Column("last_error", sa.String(length=64), nullable=True))
        deliveries.add_column(
            sa.Column("maybe_sent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        deliveries.add_column(
            sa.Column("retries", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("deliveries") as deliveries:
        deliveries.drop_column("retries")
        deliveries.drop_column("maybe_sent")
        deliveries.drop_column("last_error")
