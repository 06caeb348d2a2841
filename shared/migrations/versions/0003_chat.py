"""chat

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:45:29.414436
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# DATETIME(6) on MySQL/MariaDB: conversations are ordered by activity to the microsecond.
MICRO_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "chat_conversations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", MICRO_DATETIME, nullable=False),
        sa.Column("last_activity_at", MICRO_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["users.id"],
            name=op.f("fk_chat_conversations_client_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_conversations")),
        sa.UniqueConstraint("client_id", name=op.f("uq_chat_conversations_client_id")),
    )
    with op.batch_alter_table("chat_conversations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chat_conversations_last_activity_at"), ["last_activity_at"], unique=False
        )

    op.create_table(
        "chat_messages",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sender_id", sa.String(length=36), nullable=True),
        sa.Column("sender_role", sa.String(length=16), nullable=False),
        sa.Column("sender_username", sa.String(length=64), nullable=False),
        sa.Column("sender_name", sa.String(length=120), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("client_message_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", MICRO_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["chat_conversations.id"],
            name=op.f("fk_chat_messages_conversation_id_chat_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["users.id"],
            name=op.f("fk_chat_messages_sender_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "seq", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint(
            "conversation_id",
            "sender_id",
            "client_message_id",
            name="uq_chat_messages_client_message_id",
        ),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_messages_sender_id"), ["sender_id"], unique=False)

    op.create_table(
        "chat_read_states",
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("user_role", sa.String(length=16), nullable=False),
        sa.Column("seen_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", MICRO_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["chat_conversations.id"],
            name=op.f("fk_chat_read_states_conversation_id_chat_conversations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_chat_read_states_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "user_id", name=op.f("pk_chat_read_states")),
    )
    with op.batch_alter_table("chat_read_states", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_read_states_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("chat_read_states")
    op.drop_table("chat_messages")
    op.drop_table("chat_conversations")
