"""alert lifecycle and estimated hours

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 06:55:00

Alerts get a state ('active' | 'cleared'), the peak total seen, updated_at and cleared_at;
hourly totals get `estimated` (energy spread over a gap longer than the estimation gap).
Existing alerts become active with peak = energy and updated_at = created_at.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hourly_consumption", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("estimated", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("peak_kwh", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), server_default="active", nullable=False)
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("cleared_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE alerts SET peak_kwh = energy_kwh, updated_at = created_at")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.alter_column("peak_kwh", existing_type=sa.Double(), nullable=False)
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index("ix_alerts_owner_id_state", ["owner_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_owner_id_state")
        batch_op.drop_column("cleared_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("state")
        batch_op.drop_column("peak_kwh")

    with op.batch_alter_table("hourly_consumption", schema=None) as batch_op:
        batch_op.drop_column("estimated")
