"""Contacts, commitments and interactions (the reciprocity ledger); follow-ups on deliveries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade() -> None:
    """Create `contacts`, `commitments`, `interactions`; deliveries name what they follow up."""
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("cadence_days", sa.Integer(), nullable=True),
        sa.Column("last_interaction_at", UTC_DATETIME, nullable=True),
        sa.Column("next_checkin_at", UTC_DATETIME, nullable=True),
        sa.Column("checkin_pings", sa.Integer(), nullable=False),
        sa.Column("balance_noted_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_contacts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("user_id", "name_key", name=op.f("uq_contacts_user_id_name_key")),
    )
    op.create_index(op.f("ix_contacts_next_checkin_at"), "contacts", ["next_checkin_at"])
    op.create_table(
        "commitments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("card_key", sa.String(length=64), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("status", _enum("commitmentstatus", "open", "done", "released"), nullable=False),
        sa.Column("due_at", UTC_DATETIME, nullable=False),
        sa.Column("followup_at", UTC_DATETIME, nullable=True),
        sa.Column("pings", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("renegotiations", sa.Integer(), nullable=False),
        sa.Column("renegotiated_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_commitments_contact_id_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_commitments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitments")),
    )
    op.create_index(op.f("ix_commitments_contact_id"), "commitments", ["contact_id"])
    op.create_index(op.f("ix_commitments_followup_at"), "commitments", ["followup_at"])
    op.create_index("ix_commitments_user_id_status", "commitments", ["user_id", "status"])
    op.create_table(
        "interactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=True),
        sa.Column("exchange", _enum("exchange", "gave", "received", "both"), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_interactions_commitment_id_commitments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_interactions_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_interactions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
    )
    op.create_index(op.f("ix_interactions_user_id"), "interactions", ["user_id"])
    op.create_index(op.f("ix_interactions_commitment_id"), "interactions", ["commitment_id"])
    op.create_index(
        "ix_interactions_contact_id_created_at", "interactions", ["contact_id", "created_at"]
    )
    # Batch mode: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("commitment_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_deliveries_commitment_id_commitments"),
            "commitments",
            ["commitment_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            op.f("fk_deliveries_contact_id_contacts"),
            "contacts",
            ["contact_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(op.f("ix_deliveries_commitment_id"), ["commitment_id"])
        batch.create_index(op.f("ix_deliveries_contact_id"), ["contact_id"])


def downgrade() -> None:
    """Drop the follow-up references and the three tables."""
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index(op.f("ix_deliveries_contact_id"))
        batch.drop_index(op.f("ix_deliveries_commitment_id"))
        batch.drop_constraint(op.f("fk_deliveries_contact_id_contacts"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_deliveries_commitment_id_commitments"), type_="foreignkey")
        batch.drop_column("contact_id")
        batch.drop_column("commitment_id")
    op.drop_table("interactions")
    op.drop_table("commitments")
    op.drop_table("contacts")
