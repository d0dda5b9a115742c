"""Retention for Rasa's tracker store: every event of a conversation whose last event is
older than the cutoff is deleted. Rasa's SQL tracker store keeps each message text and
slot of a conversation in one `events` table (rasa/core/tracker_store.py, SQLEvent);
Rasa reads a conversation from it on every turn, so a purged conversation simply starts
again as a new one.

The table is declared here with only the columns the purge uses (Rasa owns the schema);
a store that does not exist yet (Rasa never ran) or has no `events` table is left alone.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import make_url

from api.core.db import normalize_database_url

_metadata = MetaData()
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("timestamp", Float),
)


def store_exists(url: str) -> bool:
    """False for a SQLite file that is not there yet: connecting would create it."""
    parsed = make_url(normalize_database_url(url))
    if parsed.get_backend_name() != "sqlite":
        return True
    database = parsed.database
    if not database or database == ":memory:":
        return False
    return Path(database).exists()


def purge_tracker_store(url: str, older_than: datetime) -> int:
    """Deletes the events of every conversation idle since before `older_than`; returns
    how many events went."""
    if not store_exists(url):
        return 0
    engine = _engine(url)
    try:
        if not inspect(engine).has_table(EVENTS.name):
            return 0
        idle = (
            select(EVENTS.c.sender_id)
            .group_by(EVENTS.c.sender_id)
            .having(func.max(EVENTS.c.timestamp) < older_than.timestamp())
        )
        with engine.begin() as connection:
            return connection.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(idle))).rowcount or 0
    finally:
        engine.dispose()


def _engine(url: str) -> Engine:
    # Not api.core.db.make_engine: its SQLite pragmas (WAL) would change Rasa's own file.
    url = normalize_database_url(url)
    connect_args = {"timeout": 15} if make_url(url).get_backend_name() == "sqlite" else {}
    return create_engine(url, connect_args=connect_args, hide_parameters=True)
