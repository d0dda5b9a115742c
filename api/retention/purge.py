"""Retention (DESIGN.md: conversations are purged after a configurable period): what the
api keeps about a contact goes RETENTION_DAYS after their last message. Expired plan
links go a week after they expire (until then the page says "expired", not "not found");
so do expired web-chat sessions, with their contact and transcript (until then the widget
is told "expired", not "unknown")."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from api.core.db import affected_rows
from api.core.models import (
    AuditEntry,
    Base,
    ChatMessage,
    ChatSession,
    Contact,
    InboundMessage,
    LoginFailure,
    OutboundMessage,
    OutboundRetry,
    PlanLink,
    ScheduledMessage,
    StaffSession,
    StatusEvent,
)
from api.core.settings import Settings

EXPIRED_LINK_GRACE = timedelta(days=7)
EXPIRED_SESSION_GRACE = timedelta(days=7)
FINISHED = ("sent", "skipped", "cancelled", "failed")
RETRIES_SETTLED = ("sent", "failed", "cancelled")


def purge(session: Session, now: datetime, retention_days: int) -> dict[str, int]:
    """Deletes what is older than the retention period; returns how many rows per table."""
    cutoff = now - timedelta(days=retention_days)
    removed = {
        "plan_links": _delete(session, PlanLink, PlanLink.expires_at < now - EXPIRED_LINK_GRACE),
        "inbound_messages": _delete(session, InboundMessage, InboundMessage.received_at < cutoff),
        "outbound_messages": _delete(session, OutboundMessage, OutboundMessage.created_at < cutoff),
        "status_events": _delete(session, StatusEvent, StatusEvent.received_at < cutoff),
        "scheduled_messages": _delete(
            session, ScheduledMessage, ScheduledMessage.status.in_(FINISHED), ScheduledMessage.created_at < cutoff
        ),
        # Settled, without their text: what is left goes after the period (or with its contact).
        "outbound_retries": _delete(
            session, OutboundRetry, OutboundRetry.status.in_(RETRIES_SETTLED), OutboundRetry.created_at < cutoff
        ),
        "chat_messages": _delete(session, ChatMessage, ChatMessage.at < cutoff),
        # A web contact goes with its expired session (and the rest with it, below).
        "chat_sessions": _delete(session, Contact, Contact.id.in_(
            select(ChatSession.contact_id).where(ChatSession.expires_at < now - EXPIRED_SESSION_GRACE))),
        # Last: a contact's remaining rows go with it (ON DELETE CASCADE).
        "contacts": _delete(session, Contact, Contact.last_seen_at < cutoff),
    }
    session.commit()
    return removed


def _delete(session: Session, model: type[Base], *conditions: ColumnElement[bool]) -> int:
    """Deletes the rows of `model` that meet every condition; returns how many."""
    return affected_rows(session.execute(delete(model).where(*conditions)))


def purge_staff_rows(session: Session, now: datetime, settings: Settings) -> dict[str, int]:
    """The dashboard's own rows past their use: sessions past the absolute timeout, sign-in
    failures past the throttling window, audit entries past AUDIT_RETENTION_DAYS."""
    removed = {
        "staff_sessions": _delete(session, StaffSession, StaffSession.created_at
                                  < now - timedelta(hours=settings.STAFF_SESSION_ABSOLUTE_HOURS)),
        "login_failures": _delete(session, LoginFailure, LoginFailure.at
                                  < now - timedelta(minutes=settings.LOGIN_THROTTLE_WINDOW_MINUTES)),
        "audit_log": _delete(session, AuditEntry, AuditEntry.at < now - timedelta(days=settings.AUDIT_RETENTION_DAYS)),
    }
    session.commit()
    return removed
