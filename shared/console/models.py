"""Tables of the operator console: silence episodes and the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy import DateTime as SADateTime
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from shared.models import TEXT_MAX, USERNAME_MAX, Base, new_id, utcnow

# Audit entries are ordered by time to the microsecond on MariaDB too.
MicroDateTime = SADateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


class SilenceEpisode(Base):
    """A meter that stopped reporting: opened when it turns silent, closed when it resumes."""

    __tablename__ = "silence_episodes"
    __table_args__ = (Index("ix_silence_episodes_device_id_resumed_at", "device_id", "resumed_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    device_id: Mapped[str] = mapped_column(String(36), ForeignKey("devices.id", ondelete="CASCADE"))
    owner_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    last_reading_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    detected_at: Mapped[datetime] = mapped_column(MicroDateTime, default=utcnow, index=True)
    resumed_at: Mapped[datetime | None] = mapped_column(SADateTime, nullable=True)


class AuditEntry(Base):
    """One administrative change: who, when, what, and the entity before and after."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_entity", "entity_type", "entity_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(MicroDateTime, default=utcnow, index=True)
    actor_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    actor_username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(TEXT_MAX), nullable=True)
    before_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    after_json: Mapped[str | None] = mapped_column(Text, nullable=True)
