"""devices.visible_from_utc: a reassigned device hides the previous owner's hours

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for every existing device: its past hand-overs are not known, so nothing is hidden
    # (as for a device that never changed hands); the next hand-over sets the bound.
    op.add_column("devices", sa.Column("visible_from_utc", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # A plain ALTER TABLE ... DROP COLUMN on both backends (SQLite >= 3.35), not a batch copy:
    # rebuilding `devices` with foreign keys on would cascade-delete every row that refers to it.
    op.drop_column("devices", "visible_from_utc")
