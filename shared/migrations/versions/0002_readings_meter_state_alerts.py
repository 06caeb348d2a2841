"""readings meter state alerts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:10:34.335648
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("hour_start_utc", sa.DateTime(), nullable=False),
        sa.Column("energy_kwh", sa.Double(), nullable=False),
        sa.Column("max_hourly_kwh", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_alerts_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_alerts_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("device_id", "hour_start_utc", name=op.f("uq_alerts_device_id")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "meter_state",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("last_timestamp_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_value_kwh", sa.Double(), nullable=True),
        sa.Column("last_register_kwh", sa.Double(), nullable=True),
        sa.Column("readings_count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_meter_state_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_meter_state")),
    )
    op.create_table(
        "readings",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("value_kwh", sa.Double(), nullable=False),
        sa.Column("register_kwh", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_readings_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", "timestamp_ms", name=op.f("pk_readings")),
    )

    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_key_hash"), ["key_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_key_hash"))
    op.drop_table("readings")
    op.drop_table("meter_state")
    op.drop_table("alerts")
