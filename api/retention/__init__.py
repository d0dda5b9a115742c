"""Retention (DESIGN.md: conversations are purged after a configurable period), for
every store: the api's tables (conversations, their summaries, transcripts, staff notes
and handoffs go with their contact), Rasa's tracker store, and the staff dashboard's own
short-lived rows (expired sign-in sessions, old sign-in failures, audit entries past
AUDIT_RETENTION_DAYS). Each pass that removes something is recorded in the audit log.
Run by the scheduler once a day, or by hand: `python -m api.retention`."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from api.core.settings import Settings
from api.retention.purge import purge, purge_staff_rows
from api.retention.tracker_store import purge_tracker_store
from api.staff.audit import record_audit


def purge_every_store(sessions: sessionmaker[Session], settings: Settings, now: datetime) -> dict[str, int]:
    """One retention pass; returns how many rows or events went, per store."""
    with sessions() as session:
        removed = purge(session, now, settings.RETENTION_DAYS)
        removed.update(purge_staff_rows(session, now, settings))
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    removed["rasa_tracker_events"] = purge_tracker_store(settings.RASA_TRACKER_STORE_URL, cutoff)
    if any(removed.values()):
        with sessions() as session:
            record_audit(session, None, "purge", detail={name: count for name, count in removed.items() if count},
                         at=now)
            session.commit()
    return removed
