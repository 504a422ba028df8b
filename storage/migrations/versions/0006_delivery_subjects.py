"""Deliveries keyed by what they are about: a follow-up by its commitment, a check-in by its
contact.

Before, every delivery was unique per member, kind and slot, so a member's follow-ups due
at one moment had to take free seconds one after another (one INSERT per second tried).
Now a prompt or broadcast is unique per member, kind and slot; a follow-up or its
reminder per commitment, kind and slot; a check-in or its reminder per contact, kind and
slot: any number due at one moment go in at once.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_MEMBER_ROWS = "commitment_id IS NULL AND contact_id IS NULL"
_SUBJECTS = (
    ("ux_deliveries_member_slot", ["user_id", "kind", "slot_at"], _MEMBER_ROWS),
    ("ux_deliveries_commitment_slot", ["commitment_id", "kind", "slot_at"], None),
    ("ux_deliveries_contact_slot", ["contact_id", "kind", "slot_at"], None),
)


def _where(columns: list[str], where: str | None) -> sa.TextClause:
    return sa.text(where or f"{columns[0]} IS NOT NULL")


def upgrade() -> None:
    """Replace the one unique constraint by three partial unique indexes."""
    # On SQLite this rebuilds the table (foreign keys are off while migrating).
    with op.batch_alter_table("deliveries") as deliveries:
        deliveries.drop_constraint("uq_deliveries_user_id_kind_slot_at", type_="unique")
    for name, columns, where in _SUBJECTS:
        clause = _where(columns, where)
        op.create_index(
            name,
            "deliveries",
            columns,
            unique=True,
            sqlite_where=clause,
            postgresql_where=clause,
        )


def downgrade() -> None:
    """Back to one constraint; follow-ups sharing a slot cannot be kept apart there."""
    for name, _columns, _where_clause in reversed(_SUBJECTS):
        op.drop_index(name, table_name="deliveries")
    with op.batch_alter_table("deliveries") as deliveries:
        deliveries.create_unique_constraint(
            "uq_deliveries_user_id_kind_slot_at", ["user_id", "kind", "slot_at"]
        )
