"""Retention (DESIGN.md: conversations are purged after a configurable period): what the
api keeps about a contact goes RETENTION_DAYS after their last message. Expired plan
links go a week after they expire (until then the page says "expired", not "not found")."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete
from sqlalchemy.orm import Session

from api.core.db import affected_rows
from api.core.models import Base, Contact, InboundMessage, OutboundMessage, PlanLink, ScheduledMessage, StatusEvent

EXPIRED_LINK_GRACE = timedelta(days=7)
FINISHED = ("sent", "skipped", "cancelled", "failed")


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
        # Last: a contact's remaining rows go with it (ON DELETE CASCADE).
        "contacts": _delete(session, Contact, Contact.last_seen_at < cutoff),
    }
    session.commit()
    return removed


def _delete(session: Session, model: type[Base], *conditions: ColumnElement[bool]) -> int:
    """Deletes the rows of `model` that meet every condition; returns how many."""
    return affected_rows(session.execute(delete(model).where(*conditions)))
