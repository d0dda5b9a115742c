"""Retention with the real Rasa: a conversation idle past RETENTION_DAYS leaves the api's
database (its summary and staff events with it) and Rasa's tracker store (what Rasa
itself wrote), and the parent who texts again starts as a new contact."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

from api.core.db import make_engine, make_session_factory
from api.core.identity import contact_id
from api.core.models import Contact, Conversation, StaffEvent, utcnow
from api.retention import purge_every_store
from tests.api.conftest import table_rows
from tests.sms_integration.conftest import text


def tracker_events(tracker_db, sender: str) -> int:
    with sqlite3.connect(tracker_db) as connection:
        return connection.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def test_an_expired_conversation_is_purged_from_every_store(api_client, api_settings, stack, phone):
    assert "Reply 1 for English" in text(api_client, phone, "hi")
    text(api_client, phone, "1")
    assert "parent center" in text(api_client, phone, "talk to a person")
    sender = contact_id(phone, api_settings.contact_id_secret_bytes)
    tracker_db = stack.tmp / "tracker.db"
    assert tracker_events(tracker_db, sender) > 0
    assert any(e["contact_id"] == sender and e["type"] == "handoff_requested"
               for e in table_rows(api_settings.DATABASE_URL, StaffEvent))
    [summary] = [c for c in table_rows(api_settings.DATABASE_URL, Conversation) if c["contact_id"] == sender]
    assert summary["language"] == "en" and summary["handoff_state"] == "waiting"
    assert summary["handoff_reason"] == "person"

    settings = api_settings  # its tracker store is the running stack's
    later = utcnow() + timedelta(days=settings.RETENTION_DAYS + 1)
    engine = make_engine(settings.DATABASE_URL)
    removed = purge_every_store(make_session_factory(engine), settings, later)
    engine.dispose()

    assert removed["contacts"] == 1 and removed["rasa_tracker_events"] > 0
    assert tracker_events(tracker_db, sender) == 0
    assert not any(e["contact_id"] == sender for e in table_rows(settings.DATABASE_URL, StaffEvent))
    assert not any(c["contact_id"] == sender for c in table_rows(settings.DATABASE_URL, Conversation))
    assert sender not in {row.id for row in table_rows(settings.DATABASE_URL, Contact)}
    # Rasa has forgotten the conversation too: the parent is greeted as a new contact.
    again = text(api_client, phone, "hi")
    assert "Reply STOP to opt out" in again and "Reply 1 for English" in again
