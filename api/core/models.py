"""The api's tables (SQLAlchemy 2 declarative). Alembic migrations in api/migrations
create them; nothing here touches a database at import time.

Minimum data (DESIGN.md): a contact is a pseudonymous id plus the encrypted number it
needs for replies; message bodies are kept only as long as a turn may need a retry, and
everything is purged after RETENTION_DAYS. No child's name, no plain phone number.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# --- what each status/kind/reason column may hold: the one list of its values ---------

CHANNELS = ("sms", "whatsapp", "web")
# A web-chat message is the parent's, the bot's or (once the dashboard exists) a staff member's.
CHAT_SENDERS = ("parent", "bot", "staff")
# How the widget shows a message: the crisis answer first and plainly, a plan as a card.
CHAT_KINDS = ("message", "apology", "crisis", "plan")
# Turns the api answers itself, without Rasa; an inbound message answered so ends with its kind.
API_ANSWER_KINDS = ("consent", "help", "plan_list", "ignored_opted_out")
# received -> processing -> answered | pending_retry -> processing ... | failed, or an API_ANSWER_KIND
INBOUND_STATUSES = ("received", "processing", "pending_retry", "answered", "failed") + API_ANSWER_KINDS
REMINDER_KINDS = ("reminder_day_before", "reminder_two_hours")
FOLLOWUP_KINDS = ("followup_step8", "followup_step9", "followup_step10")
SCHEDULED_KINDS = REMINDER_KINDS + FOLLOWUP_KINDS
OUTBOUND_KINDS = ("reply", "apology", "consent", "help", "plan_list") + SCHEDULED_KINDS
VIAS = ("twiml", "rest")
# Message statuses are Twilio's (api.sms.delivery.MESSAGE_STATUSES, from the twilio
# library: queued ... partially_delivered, canceled), plus "replied" for a part answered in
# TwiML. Twilio owns that list and may grow it: those columns are not constrained to it, and
# have room beyond its longest value (partially_delivered, 19).
TWILIO_STATUS_LENGTH = 32
# pending -> sending -> sent | skipped | cancelled | failed; sending -> pending when deferred
# or when its claim's lease ran out (the process that claimed it died)
SCHEDULED_STATUSES = ("pending", "sending", "sent", "skipped", "cancelled", "failed")
# Why a scheduled message waits, was dropped or failed (api/outbound/reminders.py decide(),
# the scheduler, rescheduling, opting out).
SCHEDULED_REASONS = ("too_late", "quiet_hours", "weekly_cap", "rescheduled", "opted_out", "send_failed", "interrupted")


def one_of(values: tuple[str, ...], name: str, constrained: bool = True, length: int | None = None) -> Enum:
    """A string column that holds one of `values`: as long as the longest, refused in
    Python (validate_strings) and by a CHECK constraint named ck_<table>_<name>."""
    return Enum(*values, name=name, native_enum=False, create_constraint=constrained, validate_strings=True,
                length=length or max(map(len, values)))


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the api stores aware UTC datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # Named CHECK constraints, so a migration can drop or change them (the "ix" entry is
    # SQLAlchemy's default, kept so index names stay as they are).
    metadata = MetaData(naming_convention={"ix": "ix_%(column_0_label)s",
                                           "ck": "ck_%(table_name)s_%(constraint_name)s"})
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # HMAC pseudonym = Rasa sender id
    # Checked in Python only, no CHECK constraint: on SQLite adding one means copying the
    # table, and dropping `contacts` there would cascade-delete every row that refers to it.
    channel: Mapped[str] = mapped_column(one_of(CHANNELS, "channel", constrained=False, length=16))
    # Fernet token of "+1..." / "whatsapp:+1..."; "" for a web-chat contact, which has no
    # address (making the column nullable would mean copying `contacts` on SQLite).
    address_encrypted: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))  # a bot.i18n.supported_language code
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None]
    notice_sent_at: Mapped[datetime | None]  # the one-line privacy/opt-out notice
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundMessage(Base):
    """One turn for the bot: a webhook delivery, or a web-chat message. The unique
    message_sid (Twilio's MessageSid; for the web chat "web:" + the parent's chat message
    id, api/chat/store.py) makes retried deliveries harmless."""

    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_retry", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    # Kept only until the turn is answered (cleared then), so a failed turn can be retried.
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(one_of(INBOUND_STATUSES, "status"), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    # While "processing": the process working on it holds it until then; after that it is
    # taken to have died, and any process puts the turn back for a retry (api/core/inbox.py).
    lease_expires_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]


class OutboundMessage(Base):
    """One SMS/WhatsApp message the api sent (TwiML reply or REST API)."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(one_of(OUTBOUND_KINDS, "kind"))
    via: Mapped[str] = mapped_column(one_of(VIAS, "via"))
    segments: Mapped[int] = mapped_column(Integer, default=0)
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)  # "SM" + 32 hex digits
    status: Mapped[str] = mapped_column(String(TWILIO_STATUS_LENGTH), default="queued")
    error_code: Mapped[str | None] = mapped_column(String(16))  # Twilio's error codes: 5 digits
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusEvent(Base):
    """Each delivery status callback, once (Twilio retries them too)."""

    __tablename__ = "status_events"
    __table_args__ = (UniqueConstraint("message_sid", "status", name="uq_status_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_sid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(TWILIO_STATUS_LENGTH))
    error_code: Mapped[str | None] = mapped_column(String(16))
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
    kind: Mapped[str] = mapped_column(one_of(SCHEDULED_KINDS, "kind"))
    # kind@meeting time (api/outbound/store.py dedupe_key): one of each kind per meeting
    dedupe_key: Mapped[str] = mapped_column(String(96))
    due_at: Mapped[datetime]
    not_after: Mapped[datetime | None]  # a reminder is pointless once the meeting has begun
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)  # meeting time, plan token
    status: Mapped[str] = mapped_column(one_of(SCHEDULED_STATUSES, "status"), default="pending")
    reason: Mapped[str | None] = mapped_column(one_of(SCHEDULED_REASONS, "reason"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # While "sending": when it was claimed, and until when the claiming process holds it
    # (api/outbound/store.py recover_stale).
    claimed_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]


class PlanLink(Base):
    """A printable plan behind an unguessable, expiring token."""

    __tablename__ = "plan_links"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16))  # a bot.i18n.supported_language code
    plan: Mapped[dict[str, Any]] = mapped_column()  # already-translated texts from the bot
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class ChatSession(Base):
    """A web-chat session: the browser holds an unguessable token, the database only its
    SHA-256. One per web contact (the contact id is an HMAC of the token)."""

    __tablename__ = "chat_sessions"

    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the token
    # The website's school (data-school), a code the school directory knows; None without one.
    school_code: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]  # CHAT_SESSION_DAYS after the last message


class ChatMessage(Base):
    """One message of a web-chat transcript, kept so a reload restores the conversation and
    late replies can be polled for (purged with the contact, or after RETENTION_DAYS)."""

    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("contact_id", "client_message_id", name="uq_chat_client_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(one_of(CHAT_SENDERS, "sender"))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(one_of(CHAT_KINDS, "kind"), default="message")
    language: Mapped[str | None] = mapped_column(String(16))  # a bot.i18n.supported_language code
    plan: Mapped[dict[str, Any] | None] = mapped_column()  # the plan card, with its page's link
    # A parent message: the widget's id for it (a retry with the same id makes no second turn).
    client_message_id: Mapped[str | None] = mapped_column(String(64))
    # A bot or staff message: the parent message it answers (None when it answers none).
    reply_to: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
