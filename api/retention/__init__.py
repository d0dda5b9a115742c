"""Retention (DESIGN.md: conversations are purged after a configurable period), for
every store: the api's tables, Rasa's tracker store and the staff events log."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from api.core.settings import Settings
from api.retention.purge import purge
from api.retention.tracker_store import purge_tracker_store
from bot.events import purge_events


def purge_every_store(sessions: sessionmaker[Session], settings: Settings, now: datetime) -> dict[str, int]:
    """One retention pass; returns how many rows or events went, per store."""
    with sessions() as session:
        removed = purge(session, now, settings.RETENTION_DAYS)
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    removed["rasa_tracker_events"] = purge_tracker_store(settings.RASA_TRACKER_STORE_URL, cutoff)
    removed["staff_events"] = purge_events(cutoff, Path(settings.STAFF_EVENTS_PATH))
    return removed
