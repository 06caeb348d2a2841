"""auth sessions: refresh-token rotation with reuse detection, logout; lower-case owner ids

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("refresh_id", sa.String(length=36), nullable=False),
        sa.Column("previous_refresh_id", sa.String(length=36), nullable=True),
        sa.Column("rotated_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_auth_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_sessions_user_id"), ["user_id"], unique=False)

    # Ids were once stored as sent: an owner id written in upper case (accepted by MariaDB's
    # case-insensitive collation) hid the device from its owner's views. Ids are lower case now.
    op.execute("UPDATE devices SET owner_id = LOWER(owner_id) WHERE owner_id IS NOT NULL")
    op.execute("UPDATE alerts SET owner_id = LOWER(owner_id) WHERE owner_id IS NOT NULL")


def downgrade() -> None:
    op.drop_table("auth_sessions")  # drops its index and foreign key with it
