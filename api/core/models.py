"""The api's tables (SQLAlchemy 2 declarative). Alembic migrations in api/migrations
create them; nothing here touches a database at import time.

Minimum data (DESIGN.md): a contact is a pseudonymous id plus the encrypted number it
needs for replies; message bodies are kept only as long as a turn may need a retry (or a
reply waits for Twilio to take it), and everything is purged after RETENTION_DAYS. No
child's name, no plain phone number.
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
# "send_retry": Twilio could not take it (HTTP 429/5xx, unreachable), it waits to be tried
# again; "unconfirmed": Twilio may have taken it without answering, so it is not sent again.
SCHEDULED_REASONS = ("too_late", "quiet_hours", "weekly_cap", "rescheduled", "opted_out", "send_failed", "interrupted",
                     "send_retry", "unconfirmed")
# Why an outbound message failed (api.sms.delivery): Twilio refused it (its error code is
# kept), it may have taken it but never answered (not sent again: a retry could text the
# parent twice), or every retry after 429/5xx answers or no connection failed.
OUTBOUND_FAILURES = ("refused", "unconfirmed", "gave_up")
# Parts of a reply Twilio could not take, kept to be sent again (api/outbound/retries.py):
# pending -> sending -> sent | failed | cancelled; sending -> pending after another failure
# worth retrying, in quiet hours for a message that waits them out, or when its claim's
# lease ran out (the process that claimed it died).
RETRY_KINDS = ("reply", "apology")
RETRY_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")
# Why a kept message was not (all) sent: OUTBOUND_FAILURES, the parent opted out, or the
# contact has no address to send to any more.
RETRY_REASONS = OUTBOUND_FAILURES + ("opted_out", "no_address")


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
    # Why a message the api could not send failed (None for one Twilio took, whose later
    # failure, if any, comes in a status callback).
    failure: Mapped[str | None] = mapped_column(one_of(OUTBOUND_FAILURES, "failure"))
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
    # Sends that failed in a way worth retrying (reason "send_retry"): at
    # OUTBOUND_MAX_ATTEMPTS it is given up.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # While "sending": when it was claimed, and until when the claiming process holds it
    # (api/outbound/store.py recover_stale).
    claimed_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]


class OutboundRetry(Base):
    """The parts of one reply (a late bot reply, a staff reply) that Twilio could not take,
    kept to be sent again, in order, with backoff (api/outbound/retries.py). The text is
    kept only while it waits: it goes when the row is sent, given up or the parent opts
    out; the row itself goes with its contact (ON DELETE CASCADE) or after RETENTION_DAYS."""

    __tablename__ = "outbound_retries"
    __table_args__ = (Index("ix_outbound_retries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(one_of(RETRY_KINDS, "kind"))
    # The parts still to send, in order; None once the row is settled.
    parts: Mapped[list[str] | None] = mapped_column(JSON)
    # A message that may not go out in quiet hours (a staff reply that could wait) waits
    # for the morning when a retry falls in them; a reply to a parent who just wrote does not.
    waits_out_quiet_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # sends tried and failed
    next_attempt_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(one_of(RETRY_STATUSES, "status"), default="pending")
    reason: Mapped[str | None] = mapped_column(one_of(RETRY_REASONS, "reason"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]
    # While "sending": when it was claimed, and until when the claiming process holds it.
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


# --- the staff dashboard (api/staff) ------------------------------------------------------

CONVERSATION_STATUSES = ("new", "reviewed", "follow_up", "closed")
# Why a conversation is in the handoff inbox (bot.events.HANDOFF_EVENTS, by the staff's word).
HANDOFF_REASONS = ("crisis", "person", "misunderstood")
# none -> waiting (in the inbox) -> held (a staff member answers; the bot is silent) -> none
HANDOFF_STATES = ("none", "waiting", "held")
STAFF_EVENT_TYPES = ("handoff_requested", "safety_flag", "workshop_requested", "meeting_scheduled",
                     "repeated_misunderstanding")
STAFF_ROLES = ("district_admin", "school_staff")
# A session after the password is "password" until a district admin's second factor is
# checked ("full"); school staff go straight to "full".
SESSION_STAGES = ("password", "full")
STAFF_MESSAGE_SENDERS = ("parent", "staff")
# A staff reply: sent (SMS accepted by Twilio, or in the widget), held for quiet hours, failed.
STAFF_MESSAGE_STATUSES = ("received", "sent", "deferred", "failed")
THROTTLE_KINDS = ("account", "ip")
AUDIT_ACTIONS = ("sign_in", "sign_in_failed", "sign_out", "second_factor_failed", "view_conversation",
                 "reply", "take_over", "hand_back", "change_status", "assign", "add_note", "export",
                 "account_created", "account_changed", "password_changed", "second_factor_enrolled",
                 "purge")


class Conversation(Base):
    """One conversation's summary for staff (bot.summary, handed over turn by turn), its
    place in the staff workflow and in the handoff inbox. Nothing a parent wrote but the
    school in their own words, which only staff of that school see."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_school_activity", "school_code", "last_activity_at"),
        Index("ix_conversations_handoff", "handoff_state", "handoff_since"),
        # Every column the insights group by or count, after the period: their queries read
        # this index alone, never the rows (api/staff/insights.py).
        Index("ix_conversations_insights", "started_at", "school_code", "channel", "language", "pillar", "priority",
              "plan_ready", "meeting_at", "steps_done", "delivery_failures", "workshop_requested", "opted_out"),
    )

    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(one_of(CHANNELS, "channel", length=16))
    language: Mapped[str | None] = mapped_column(String(16), index=True)
    school_code: Mapped[str | None] = mapped_column(String(32))  # the directory's code
    school_text: Mapped[str | None] = mapped_column(String(200))  # as given, when it matched none
    grade_band: Mapped[str | None] = mapped_column(String(16))  # elementary, middle, high
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    pillar: Mapped[str | None] = mapped_column(String(8), index=True)
    priority: Mapped[str | None] = mapped_column(String(8), index=True)
    plan: Mapped[dict[str, Any] | None] = mapped_column()  # the questions with their sources
    plan_ready: Mapped[bool] = mapped_column(Boolean, default=False)
    meeting_at: Mapped[datetime | None]
    steps_done: Mapped[int] = mapped_column(Integer, default=0)  # bit n-1 set: step n done
    invitation_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    guide_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    workshop_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    handoff_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    safety_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    misunderstood: Mapped[bool] = mapped_column(Boolean, default=False)
    delivery_failures: Mapped[int] = mapped_column(Integer, default=0)
    # The contact's opt-out, copied here (api.core.contacts keeps it in step) so the lists
    # and charts need no join.
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(one_of(CONVERSATION_STATUSES, "status"), default="new", index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    handoff_state: Mapped[str] = mapped_column(one_of(HANDOFF_STATES, "handoff_state"), default="none")
    handoff_reason: Mapped[str | None] = mapped_column(one_of(HANDOFF_REASONS, "handoff_reason"))
    handoff_since: Mapped[datetime | None]  # waiting since, or held since
    held_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class StaffEvent(Base):
    """A moment staff must know of, as the bot told it (bot.events): never a text."""

    __tablename__ = "staff_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(one_of(STAFF_EVENT_TYPES, "type"))
    reason: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Handoff(Base):
    """One time a conversation needed a person: when, why, who took it, when they first
    answered (the insights' time to a first reply) and when it went back to the bot."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(one_of(HANDOFF_REASONS, "reason"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime | None]
    first_reply_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]


class StaffMessage(Base):
    """A message of a conversation while staff hold it: the parent's (kept from the bot
    and shown to staff) or a staff member's reply. Purged with the contact."""

    __tablename__ = "staff_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(one_of(STAFF_MESSAGE_SENDERS, "sender"))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(one_of(STAFF_MESSAGE_STATUSES, "status"), default="received")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored in lower case
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id, PHC string
    role: Mapped[str] = mapped_column(one_of(STAFF_ROLES, "role"))
    language: Mapped[str] = mapped_column(String(16), default="en")  # the dashboard's language
    # Fernet token of the base32 TOTP secret (the phone key encrypts it); None until enrolled.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a code is good once
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffSchool(Base):
    """A school a school-staff account may see (district admins see every school)."""

    __tablename__ = "staff_schools"

    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True)
    school_code: Mapped[str] = mapped_column(String(32), primary_key=True)


class StaffSession(Base):
    """A signed-in browser: the cookie holds an unguessable token, the database only its
    SHA-256 (a stolen database is no session). Idle and absolute timeouts are checked
    against these times on every request."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(one_of(SESSION_STAGES, "stage"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginFailure(Base):
    """A failed sign-in, counted per account and per address for throttling (keys are
    HMACs: no address or e-mail in clear); purged once older than the window."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key", "kind", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(one_of(THROTTLE_KINDS, "kind"))
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffNote(Base):
    __tablename__ = "staff_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who did what, for district admins: never a message text or a note's words. A
    conversation is named by its pseudonymous id (kept after the conversation is purged)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(one_of(AUDIT_ACTIONS, "action"))
    contact_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # counts, a status, an account id
    ip_hash: Mapped[str | None] = mapped_column(String(64))
