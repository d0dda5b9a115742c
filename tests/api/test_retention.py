"""Retention of every store: Rasa's tracker store (on SQLite and PostgreSQL, in the
shape Rasa 3.6's SQLTrackerStore creates it) and the staff events log, beside the api's
own tables (tests/api/test_scheduler.py)."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from api.core.db import make_engine, make_session_factory
from api.retention import purge_every_store
from api.retention.tracker_store import purge_tracker_store
from tests.api.conftest import make_settings

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
DAY = 86400.0

# Rasa 3.6's SQLEvent (rasa/core/tracker_store.py), column for column.
RASA_EVENTS = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


def rasa_store(url: str, events: list[tuple[str, float]]) -> sa.Engine:
    """A tracker store holding (sender, days ago) user messages."""
    engine = sa.create_engine(url)
    RASA_EVENTS.create(engine, checkfirst=True)
    with engine.begin() as connection:
        for sender, days_ago in events:
            connection.execute(RASA_EVENTS.insert().values(
                sender_id=sender, type_name="user", timestamp=NOW.timestamp() - days_ago * DAY,
                intent_name="greet", data=json.dumps({"event": "user", "text": "my son is in 3rd grade"})))
    return engine


def senders(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(RASA_EVENTS.c.sender_id, sa.func.count()).group_by(RASA_EVENTS.c.sender_id))
        return dict(rows.all())


def test_idle_conversations_leave_the_tracker_store_whole(database_url):
    events_by_age = [("c_idle", 400), ("c_idle", 200), ("c_active", 300), ("c_active", 2), ("c_new", 0)]
    engine = rasa_store(database_url, events_by_age)
    removed = purge_tracker_store(database_url, NOW - timedelta(days=180))
    assert removed == 2
    # An active conversation keeps its older events too: it is purged as a whole, later.
    assert senders(engine) == {"c_active": 2, "c_new": 1}
    engine.dispose()


def test_a_tracker_store_that_does_not_exist_yet_is_left_alone(tmp_path, database_url):
    missing = tmp_path / "never-created.db"
    assert purge_tracker_store(f"sqlite:///{missing}", NOW) == 0
    assert not missing.exists()
    assert purge_tracker_store(database_url, NOW) == 0  # a database without Rasa's table


def test_one_pass_purges_the_api_tables_the_tracker_store_and_the_staff_rows(tmp_path, database_url):
    from api.core import contacts
    from api.core.identity import PhoneCipher
    from api.core.models import AuditEntry, Contact, Conversation, StaffEvent
    from api.staff import record

    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    settings = make_settings(tmp_path, database_url, "http://127.0.0.1:9", "http://127.0.0.1:9",
                             RASA_TRACKER_STORE_URL=tracker_url)
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        cipher = PhoneCipher(settings.PHONE_ENCRYPTION_KEY)
        old_id = contacts.get_or_create(session, "+13235550199", settings.contact_id_secret_bytes, cipher).id
        recent_id = contacts.get_or_create(session, "+13235550198", settings.contact_id_secret_bytes, cipher).id
        for cid in (old_id, recent_id):
            row = record.conversation(session, cid, "sms", NOW)
            record.record_event(session, row, {"type": "handoff_requested"}, NOW)
        session.execute(sa.update(Contact).where(Contact.id == old_id).values(last_seen_at=NOW - timedelta(days=200)))
        session.commit()
    tracker = rasa_store(tracker_url, [(old_id, 200), ("c_recent", 1)])

    removed = purge_every_store(sessions, settings, NOW)

    assert removed["contacts"] == 1 and removed["rasa_tracker_events"] == 1
    with sessions() as session:
        assert session.get(Contact, old_id) is None
        # The summary, the staff events and the handoff went with the contact.
        assert [c.contact_id for c in session.scalars(sa.select(Conversation))] == [recent_id]
        assert [e.contact_id for e in session.scalars(sa.select(StaffEvent))] == [recent_id]
        [purge_entry] = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "purge")).all()
        assert purge_entry.detail["contacts"] == 1 and purge_entry.detail["rasa_tracker_events"] == 1
    assert senders(tracker) == {"c_recent": 1}
    tracker.dispose()
    engine.dispose()


def test_the_scheduler_runs_the_retention_pass_for_every_store(tmp_path, database_url, twilio_standin):
    import asyncio

    from api.services import build_services

    services = build_services(make_settings(tmp_path, database_url, "http://127.0.0.1:9", twilio_standin.state.url))
    tracker = rasa_store(services.settings.RASA_TRACKER_STORE_URL, [("c_gone", 200)])
    try:
        asyncio.run(services.scheduler.run_once(NOW))
        assert senders(tracker) == {}
    finally:
        tracker.dispose()
        services.close()
