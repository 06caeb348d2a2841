"""tariffs, their bands, per-device tariff assignments; packed daily consumption rows

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:00:00

Prices are stored as exact integers (millionths of the currency unit per kWh).
daily_consumption is a pre-aggregate of hourly_consumption (one row per device and UTC day,
its hours packed); it is backfilled here from the existing hourly rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tariffs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
    )
    op.create_table(
        "tariff_bands",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tariff_id", sa.String(length=36), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("start_hour", sa.Integer(), nullable=False),
        sa.Column("end_hour", sa.Integer(), nullable=False),
        sa.Column("price_micros", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tariff_id"],
            ["tariffs.id"],
            name=op.f("fk_tariff_bands_tariff_id_tariffs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_bands")),
    )
    op.create_index(op.f("ix_tariff_bands_tariff_id"), "tariff_bands", ["tariff_id"], unique=False)
    op.create_table(
        "device_tariffs",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("effective_from_utc", sa.DateTime(), nullable=False),
        sa.Column("tariff_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_tariffs_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tariff_id"],
            ["tariffs.id"],
            name=op.f("fk_device_tariffs_tariff_id_tariffs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("device_id", "effective_from_utc", name=op.f("pk_device_tariffs")),
    )
    op.create_index(
        op.f("ix_device_tariffs_tariff_id"), "device_tariffs", ["tariff_id"], unique=False
    )
    op.create_table(
        "daily_consumption",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("day_utc", sa.Date(), nullable=False),
        sa.Column("hours", sa.String(length=80), nullable=False),
        sa.Column("micros", sa.String(length=320), nullable=False),
        sa.Column("estimated", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_daily_consumption_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("device_id", "day_utc", name=op.f("pk_daily_consumption")),
    )
    from shared.usage.daily import rebuild_all

    rebuild_all(op.get_bind())


def downgrade() -> None:
    # Dropping a table drops its indexes (MariaDB refuses to drop an index a FK needs).
    op.drop_table("daily_consumption")
    op.drop_table("device_tariffs")
    op.drop_table("tariff_bands")
    op.drop_table("tariffs")
