"""Retention (DESIGN.md: conversations are purged after a configurable period): what the
api keeps about a contact goes RETENTION_DAYS after their last message. Expired plan
links go a week after they expire (until then the page says "expired", not "not found")."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Dict

from sqlalchemy import delete
from sqlalchemy.orm import Session

from api.core.models import Contact, InboundMessage, OutboundMessage, PlanLink, ScheduledMessage, StatusEvent

EXPIRED_LINK_GRACE = timedelta(days=7)
FINISHED = ("sent", "skipped", "cancelled", "failed")


def purge(session: Session, now: datetime, retention_days: int) -> Dict[str, int]:
    """Deletes what is older than the retention period; returns how many rows per table."""
    cutoff = now - timedelta(days=retention_days)
    removed = {
        "plan_links": session.execute(delete(PlanLink).where(PlanLink.expires_at < now - EXPIRED_LINK_GRACE)).rowcount,
        "inbound_messages": session.execute(delete(InboundMessage).where(InboundMessage.received_at < cutoff)).rowcount,
        "outbound_messages": session.execute(delete(OutboundMessage).where(OutboundMessage.created_at < cutoff)).rowcount,
        "status_events": session.execute(delete(StatusEvent).where(StatusEvent.received_at < cutoff)).rowcount,
        "scheduled_messages": session.execute(
            delete(ScheduledMessage).where(ScheduledMessage.status.in_(FINISHED), ScheduledMessage.created_at < cutoff)
        ).rowcount,
        # Last: a contact's remaining rows go with it (ON DELETE CASCADE).
        "contacts": session.execute(delete(Contact).where(Contact.last_seen_at < cutoff)).rowcount,
    }
    session.commit()
    return removed
