"""Chat tables, registered on the platform's Base so Alembic sees them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy import DateTime as SADateTime
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from shared.models import NAME_MAX, USERNAME_MAX, Base, new_id, utcnow

TEXT_MAX_CHARS = 2000
CLIENT_MESSAGE_ID_MAX = 64
# Microseconds on MySQL/MariaDB too (plain DATETIME keeps whole seconds): activity order matters.
MicroDateTime = SADateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


class Conversation(Base):
    """One client's conversation with the administrators; its row is the seq counter."""

    __tablename__ = "chat_conversations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(MicroDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(MicroDateTime, default=utcnow, index=True)


class Message(Base):
    """One message, identified by (conversation, seq)."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint(
            "conversation_id",
            "sender_id",
            "client_message_id",
            name="uq_chat_messages_client_message_id",
        ),
    )

    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("chat_conversations.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sender_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="SET NULL"), index=True, nullable=True
    )
    sender_role: Mapped[str] = mapped_column(String(16))
    sender_username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    sender_name: Mapped[str] = mapped_column(String(NAME_MAX))
    text: Mapped[str] = mapped_column(String(TEXT_MAX_CHARS))
    client_message_id: Mapped[str | None] = mapped_column(
        String(CLIENT_MESSAGE_ID_MAX), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(MicroDateTime, default=utcnow)


class ReadState(Base):
    """How far one user has seen one conversation (their unread watermark)."""

    __tablename__ = "chat_read_states"

    conversation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("chat_conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    user_role: Mapped[str] = mapped_column(String(16))
    seen_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(MicroDateTime, default=utcnow)
