"""The api's tables (SQLAlchemy 2 declarative). Alembic migrations in api/migrations
create them; nothing here touches a database at import time.

Minimum data (DESIGN.md): a contact is a pseudonymous id plus the encrypted number it
needs for replies; message bodies are kept only as long as a turn may need a retry, and
everything is purged after RETENTION_DAYS. No child's name, no plain phone number.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, Optional

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the api stores aware UTC datetimes only")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), Dict[str, Any]: JSON()}


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # HMAC pseudonym = Rasa sender id
    channel: Mapped[str] = mapped_column(String(16))  # "sms" | "whatsapp"
    address_encrypted: Mapped[str] = mapped_column(Text)  # Fernet token of "+1..." / "whatsapp:+1..."
    language: Mapped[Optional[str]] = mapped_column(String(16))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[Optional[datetime]]
    notice_sent_at: Mapped[Optional[datetime]]  # the one-line privacy/opt-out notice
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundMessage(Base):
    """One webhook delivery. The unique MessageSid makes retried webhooks harmless."""

    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_retry", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    # Kept only until the turn is answered (cleared then), so a failed turn can be retried.
    body: Mapped[Optional[str]] = mapped_column(Text)
    # received -> answered | consent | pending_retry -> answered | failed
    status: Mapped[str] = mapped_column(String(16), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[Optional[datetime]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[Optional[datetime]]


class OutboundMessage(Base):
    """One SMS/WhatsApp message the api sent (TwiML reply or REST API)."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # reply | apology | consent | help | reminder | followup
    via: Mapped[str] = mapped_column(String(8))  # twiml | rest
    segments: Mapped[int] = mapped_column(Integer, default=0)
    twilio_sid: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error_code: Mapped[Optional[str]] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusEvent(Base):
    """Each delivery status callback, once (Twilio retries them too)."""

    __tablename__ = "status_events"
    __table_args__ = (UniqueConstraint("message_sid", "status", name="uq_status_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_sid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[Optional[str]] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScheduledMessage(Base):
    """A reminder or follow-up the scheduler will send; persisted so a restart loses none."""

    __tablename__ = "scheduled_messages"
    __table_args__ = (
        UniqueConstraint("contact_id", "dedupe_key", name="uq_scheduled_dedupe"),
        Index("ix_scheduled_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # reminder_day_before | reminder_2h | followup_step8/9/10
    dedupe_key: Mapped[str] = mapped_column(String(96))  # kind + meeting time: one per meeting
    due_at: Mapped[datetime]
    not_after: Mapped[Optional[datetime]]  # a reminder is pointless once the meeting has begun
    params: Mapped[Dict[str, Any]] = mapped_column(default=dict)  # meeting time, plan token
    # pending -> sending -> sent | skipped | cancelled | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[Optional[str]] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]]


class PlanLink(Base):
    """A printable plan behind an unguessable, expiring token."""

    __tablename__ = "plan_links"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    plan: Mapped[Dict[str, Any]] = mapped_column()  # already-translated texts from the bot
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
